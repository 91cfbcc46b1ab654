"""fastopt.benchmarking and ``fastopt bench``: small settings, outputs, the ERT summary."""

import csv
import json
import math

import numpy as np
import pytest

from fastopt import benchmarking
from fastopt.benchmarking import PROBLEMS, BenchmarkResult
from fastopt.cli import main


def run_cli(argv):
    """The exit status of ``fastopt ...`` (main returns it, or argparse exits with it)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="module")
def small():
    return benchmarking.run(problems=["rosenbrock", "quadratic"], dims=[1, 2, 3],
                            eps=[0.5, 0.2], starts=2)


def test_records(small):
    recs = small.records
    assert {r["problem"] for r in recs} == {"rosenbrock", "quadratic"}
    assert not any(r["problem"] == "rosenbrock" and r["n"] == 1 for r in recs)  # n >= 2
    for r in recs:
        assert set(r) == set(benchmarking.FIELDS)
        assert r["nfev"] > 0 and r["seconds"] >= 0 and r["f_error"] >= 0
        assert r["reached"] == (r["f_error"] <= small.target)
    local = [r for r in recs if r["method"] == "bfgs" and r["problem"] == "quadratic"]
    assert len(local) == 3 * 2  # 3 dimensions x 2 starts
    assert all(r["success"] and r["reached"] for r in local)  # convex: always
    grid = [r for r in recs if r["method"] == "grid" and r["problem"] == "quadratic"]
    assert sorted((r["n"], r["setting"]) for r in grid) == [
        (n, s) for n in (1, 2, 3) for s in ("eps=0.2", "eps=0.5")]
    for r in grid:  # the grid has ceil(10 / eps) + 1 points per axis (box [-5, 5])
        eps = float(r["setting"][4:])
        assert r["nfev"] == (math.ceil(10 / eps) + 1) ** r["n"]
    polished = {(r["n"], r["setting"]): r for r in recs
                if r["method"] == "grid+bfgs" and r["problem"] == "quadratic"}
    for r in grid:
        p = polished[(r["n"], r["setting"])]
        assert p["nfev"] > r["nfev"] and p["f_error"] <= r["f_error"]


def test_summary_and_outputs(small, tmp_path):
    rows = small.summary()
    keys = {(r["problem"], r["n"], r["method"]) for r in rows}
    assert ("quadratic", 3, "newton") in keys and ("rosenbrock", 1, "bfgs") not in keys
    small.to_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv") as fh:
        read = list(csv.DictReader(fh))
    assert len(read) == len(small.records) and list(read[0]) == list(benchmarking.FIELDS)
    small.to_json(tmp_path / "t.json")
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["target"] == small.target and len(data["summary"]) == len(rows)
    table = small.markdown()
    assert table.splitlines()[2].startswith("| problem | n | grid | grid+bfgs | gd |")
    small.plot(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_ert_and_grid_summary():
    def rec(method, setting, nfev, f_error, n=2):
        return {"problem": "p", "n": n, "method": method, "setting": setting, "nfev": nfev,
                "seconds": nfev * 1e-6, "f_error": f_error, "x_error": 0.0, "success": True,
                "reached": f_error <= 1e-4, "target": 1e-4}

    res = BenchmarkResult([
        rec("grid", "eps=0.5", 100, 1e-2), rec("grid", "eps=0.1", 2500, 1e-5),
        rec("grid", "eps=0.05", 10000, 1e-6),
        rec("bfgs", "start=0", 50, 1e-9), rec("bfgs", "start=1", 70, 3.0),
        rec("bfgs", "start=2", 60, 1e-9),
        rec("gd", "start=0", 500, 1.0),
    ], target=1e-4)
    rows = {r["method"]: r for r in res.summary()}
    assert rows["grid"]["evaluations"] == 2500  # fewest among spacings that reach it
    assert rows["bfgs"]["evaluations"] == pytest.approx((50 + 70 + 60) / 2)  # ERT
    assert rows["bfgs"]["reached"] == 2 and rows["bfgs"]["runs"] == 3
    assert math.isnan(rows["gd"]["evaluations"])
    assert "- (0/1)" in res.markdown()


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_known_minima(name):
    prob = PROBLEMS[name]
    rng = np.random.default_rng(0)
    for n in range(max(1, prob.min_n), 5):
        args = prob.args(n)
        xs = prob.x_star(n)
        fs = prob.f_star(n)
        assert prob.f(xs, *args) == pytest.approx(fs, abs=1e-12)
        lo, hi = np.array(prob.bounds(n)).T
        assert np.all((xs > lo) & (xs < hi))
        for x in rng.uniform(lo, hi, size=(200, n)):
            assert prob.f(x, *args) >= fs - 1e-12


def test_run_bad_arguments():
    with pytest.raises(ValueError, match="`problems` must be a non-empty list of"):
        benchmarking.run(problems=["nope"])
    with pytest.raises(ValueError, match="`methods` must be a non-empty list of"):
        benchmarking.run(methods=["lbfgs"])
    with pytest.raises(ValueError, match="`dims` must be dimensions >= 1"):
        benchmarking.run(dims=[0, 1])
    with pytest.raises(ValueError, match="`eps` must be spacings > 0"):
        benchmarking.run(eps=[0.0])
    with pytest.raises(ValueError, match="`starts` must be >= 1"):
        benchmarking.run(starts=0)
    with pytest.raises(ValueError, match="`target` must be > 0"):
        benchmarking.run(target=-1.0)


def test_cli_bench(tmp_path, capsys):
    out = tmp_path / "bench"
    status = run_cli(["bench", "--problems", "rosenbrock", "--dims", "2-3", "--eps", "0.5",
                   "--methods", "grid,bfgs", "--starts", "2", "--out", str(out)])
    assert status == 0
    captured = capsys.readouterr()
    assert "| rosenbrock | 2 |" in captured.out and "wrote" in captured.out
    assert "rosenbrock n=2" in captured.err  # progress lines
    for ext in ("csv", "json", "png"):
        assert (out / f"grid_vs_derivatives.{ext}").stat().st_size > 0
    status = run_cli(["bench", "--problems", "rosenbrock", "--dims", "2", "--eps", "0.5",
                   "--methods", "grid", "--starts", "1", "--out", str(tmp_path / "b2"),
                   "--no-plot", "--quiet"])
    assert status == 0
    assert not (tmp_path / "b2" / "grid_vs_derivatives.png").exists()
    assert capsys.readouterr().err == ""


def test_count_runs_matches_run(small):
    planned = benchmarking.count_runs(["rosenbrock", "quadratic"], [1, 2, 3], eps=[0.5, 0.2],
                                      starts=2)
    assert planned == len(small.records)
    # grids above max_grid_points are neither run nor counted
    assert benchmarking.count_runs(["quadratic"], [3], eps=[0.01], methods=["grid"],
                                   max_grid_points=1000) == 0


def test_cli_bench_progress_bar_on_a_terminal(tmp_path, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(benchmarking, "_isatty", lambda: True)
    argv = ["bench", "--problems", "rosenbrock", "--dims", "2", "--eps", "0.5",
            "--methods", "grid,bfgs", "--starts", "2", "--out", str(tmp_path), "--no-plot"]
    assert run_cli(argv) == 0
    err = capsys.readouterr().err
    assert "fastopt bench" in err and "3/3" in err  # one bar over the 3 planned runs
    assert "nfev" not in err  # ... instead of the per-run lines
    assert run_cli([*argv, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--dims", "0"], "argument --dims: expected dimensions >= 1"),
        (["--dims", "a-b"], "argument --dims"),
        (["--methods", "grid,lbfgs"], "argument --methods: expected a comma-separated list"),
        (["--problems", "sphere"], "argument --problems"),
        (["--eps", "0.1,-1"], "argument --eps: expected a comma-separated list of positive"),
        (["--starts", "0"], "argument --starts: expected a positive number"),
        (["--target", "x"], "argument --target"),
    ],
)
def test_cli_bench_bad_usage(argv, match, capsys):
    assert run_cli(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastopt: error:") and match in err and err.count("\n") == 1


def test_cli_bench_help(capsys):
    assert run_cli(["bench", "--help"]) == 0
    assert "examples:" in capsys.readouterr().out
