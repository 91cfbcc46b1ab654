"""The command line (fastopt.cli): subcommands, help examples, bad input, JSON."""

import json
import shlex
import subprocess
import sys

import numpy as np
import pytest

from fastopt import cli

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"


def run(capsys, argv):
    """Return (exit status, stdout, stderr) of `fastopt argv`."""
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def help_examples(capsys, argv):
    """The example command lines printed in the epilog of `fastopt argv --help`."""
    status, out, _ = run(capsys, [*argv, "--help"])
    assert status == 0
    assert "examples:" in out
    lines = out.split("examples:", 1)[1].splitlines()
    return [ln.strip() for ln in lines if ln.startswith("  fastopt ")]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", ["scan", "classify", "demo"])
def test_help_examples_run_as_printed(capsys, in_tmp, command):
    examples = help_examples(capsys, [command])
    assert examples, f"no examples in `fastopt {command} --help`"
    for line in examples:
        argv = shlex.split(line)
        assert argv[0] == "fastopt" and argv[1] == command
        status, out, err = run(capsys, argv[1:])
        assert status == 0, (line, err)
        assert out.strip(), line
        assert "error" not in err, (line, err)
        if "--json" in argv:
            json.loads(out)
        if "--plot" in argv:
            png = in_tmp / argv[argv.index("--plot") + 1]
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_top_level_help_examples_run_as_printed(capsys, in_tmp):
    examples = help_examples(capsys, [])
    commands = {shlex.split(line)[1] for line in examples}
    assert {"scan", "classify", "demo"} <= commands
    for line in examples:
        argv = shlex.split(line)
        if argv[1] not in ("scan", "classify"):  # demo: above; bench: its own tests
            continue
        status, out, err = run(capsys, argv[1:])
        assert status == 0, (line, err)


def test_version_and_help(capsys):
    status, out, _ = run(capsys, ["--version"])
    assert status == 0 and out.startswith("fastopt ")
    for argv in (["--help"], ["scan", "-h"], ["classify", "--help"], ["demo", "--help"]):
        status, out, _ = run(capsys, argv)
        assert status == 0 and "usage: fastopt" in out


def test_python_dash_m(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fastopt", "--version"], capture_output=True,
                          text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("fastopt ")
    proc = subprocess.run([sys.executable, "-m", "fastopt", "scan", "x", "--box", "0:1:2",
                           "--num", "3"], capture_output=True, text=True, cwd=tmp_path,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- scan
# The expressions and options below are those of the help examples: numba compiles
# fastopt's kernels once per objective and kernel, and the tests share them.
def test_scan_table(capsys):
    status, out, err = run(capsys, ["scan", HIMMELBLAU, "--box", "-5:5,-5:5", "--num", "401",
                                    "--top", "4", "--no-progress"])
    assert status == 0 and err == ""
    assert "401 x 401 = 160,801 points, spacing 0.025 x 0.025" in out
    table = out.split("4 best grid points:")[1].splitlines()
    assert table[1].split() == ["rank", "x", "y", "f"]
    assert table[2].split() == ["1", "3", "2", "0"]  # (3, 2) is on the grid
    assert len(table) == 6


def test_scan_json_with_finish_critical_and_plot(capsys, in_tmp):
    status, out, err = run(capsys, ["scan", HIMMELBLAU, "--box", "-5:5,-5:5", "--num", "101",
                                    "--top", "4", "--finish", "newton", "--critical",
                                    "--plot", "h.png", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["variables"] == ["x", "y"]
    assert report["grid"]["nfev"] == 101 * 101 and report["grid"]["status"] == "SUCCESS"
    assert len(report["top"]) == 4
    polished = report["finish"]["points"]
    assert [p["status"] for p in polished] == ["SUCCESS"] * 4
    assert all(abs(p["fun"]) < 1e-12 for p in polished)
    kinds = [c["kind"] for c in report["critical"]]
    assert sorted(kinds) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    assert report["plot"] == "h.png"
    assert (in_tmp / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_scan_table_with_finish_and_critical(capsys):
    status, out, err = run(capsys, ["scan", HIMMELBLAU, "--box", "-5:5,-5:5", "--num", "101",
                                    "--top", "4", "--finish", "newton", "--critical"])
    assert status == 0, err
    assert "polished with newton" in out
    assert "critical points in the box: 9" in out
    assert out.count("minimum") == 4 and out.count("saddle") == 4


def test_scan_one_named_variable(capsys, in_tmp):
    status, out, err = run(capsys, ["scan", "sin(3*t) + 0.1*t**2", "--vars", "t", "--box",
                                    "-pi:pi", "--num", "1001", "--top", "3", "--plot",
                                    "c.png", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["variables"] == ["t"]
    assert report["box"] == [[pytest.approx(-np.pi), pytest.approx(np.pi)]]
    assert report["best"]["x"][0] == pytest.approx(-0.515, abs=0.01)  # near -pi/6
    assert (in_tmp / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_scan_json_nan_is_null(capsys):
    status, out, err = run(capsys, ["scan", "sqrt(x)", "--box", "-1:1", "--num", "3",
                                    "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["grid"]["nonfinite"] == 1 and report["best"]["fun"] == 0.0


def test_scan_all_nan_warns_on_stderr(capsys):
    status, out, err = run(capsys, ["scan", "sqrt(x)", "--box", "-2:-1", "--num", "3"])
    assert status == 0
    assert "no finite value of f" in out
    assert err.startswith("fastopt: warning:") and err.count("\n") == 1


# ----------------------------------------------------------------------------- classify
def test_classify_text(capsys):
    status, out, err = run(capsys, ["classify", "x**2 - y**2", "--at", "0,0", "--at",
                                    "-1,0.5"])
    assert status == 0 and err == ""
    assert "verdict: saddle point" in out
    assert "verdict: not a critical point" in out
    assert "eigenvalues = (-2, 2)" in out


def test_classify_json(capsys):
    status, out, _ = run(capsys, ["classify", "x**3 - y**3", "--at", "0,0", "--at", "pi/2,0",
                                  "--json"])
    assert status == 0
    report = json.loads(out)
    assert [p["kind"] for p in report["points"]] == ["degenerate", "not critical"]
    assert report["points"][1]["at"] == [pytest.approx(np.pi / 2), 0.0]
    np.testing.assert_allclose(report["points"][1]["gradient"], [3 * (np.pi / 2) ** 2, 0],
                               rtol=1e-9, atol=1e-8)


def test_classify_nan_warns_on_stderr(capsys):
    status, out, err = run(capsys, ["classify", "x**2 - y**2", "--at", "0,0"])
    assert status == 0 and err == ""
    status, out, err = run(capsys, ["classify", "x**3 - y**3", "--at", "1e200,0"])
    assert status == 0
    assert "verdict: f or its derivatives are NaN/inf here" in out
    assert err.startswith("fastopt: warning:") and err.count("\n") == 1


# ----------------------------------------------------------------------------- bad input
BAD = [
    # malformed --box
    (["scan", "x+y", "--box", "-2:2;0:1", "--num", "3"], "--box: axis 1 is '-2:2;0:1'"),
    (["scan", "x+y", "--box", "1:2:3", "--num", "3"], "--box: axis 1 is '1:2:3'"),
    (["scan", "x+y", "--box", "a:b", "--num", "3"], "--box: the lower bound of axis 1 must"),
    (["scan", "x+y", "--box", "-2:2,", "--num", "3"], "--box: axis 2 is ''"),
    (["scan", "x+y", "--box", "", "--num", "3"], "--box is empty"),
    (["scan", "x+y", "--box", ":1", "--num", "3"], "lower bound of axis 1 is empty"),
    (["scan", "x+y", "--box", "2:-2,0:1", "--num", "3"], "axis 1 must have lo < hi"),
    (["scan", "x+y", "--box", "0:0", "--num", "3"], "axis 1 must have lo < hi"),
    (["scan", "x+y", "--box", "-1e308:1e308", "--num", "3"], "axis 1 is too wide"),
    # non-finite bounds
    (["scan", "x+y", "--box", "-inf:2,0:1", "--num", "3"], "must be a finite number; got '-inf'"),
    (["scan", "x+y", "--box", "0:nan", "--num", "3"], "must be a finite number; got 'nan'"),
    (["scan", "x+y", "--box", "0:1e999", "--num", "3"], "must be a finite number; got '1e999'"),
    (["scan", "x+y", "--box", "0:log(0)", "--num", "3"], "must be a finite number"),
    (["scan", "x+y", "--box", "0:x", "--num", "3"], "must be a number; got 'x'"),
    (["scan", "x+y", "--box", "0:__import__('os')", "--num", "3"], "must be a number"),
    # zero or negative --eps, bad --num
    (["scan", "x", "--box", "0:1", "--eps", "0"], "--eps must be a finite number > 0; got '0'"),
    (["scan", "x", "--box", "0:1", "--eps", "-0.1"], "--eps must be a finite number > 0"),
    (["scan", "x", "--box", "0:1", "--eps", "inf"], "--eps must be a finite number > 0"),
    (["scan", "x", "--box", "0:1", "--eps", "abc"], "--eps must be a number > 0; got 'abc'"),
    (["scan", "x", "--box", "0:1,0:1", "--eps", "0.1,0.1,0.1"], "one value or one per axis"),
    (["scan", "x", "--box", "0:1", "--num", "0"], "--num must be >= 1"),
    (["scan", "x", "--box", "0:1", "--num", "-3"], "--num must be a whole number"),
    (["scan", "x", "--box", "0:1", "--num", "2.5"], "--num must be a whole number"),
    (["scan", "x", "--box", "0:1", "--num", "3", "--top", "0"], "--top must be >= 1"),
    (["scan", "x", "--box", "0:1", "--num", "3", "--top", "a"], "invalid int value"),
    (["scan", "x", "--box", "0:1"], "one of the arguments --eps --num is required"),
    (["scan", "x", "--box", "0:1", "--num", "3", "--eps", "1"], "not allowed with argument"),
    (["scan", "x", "--num", "3"], "the following arguments are required: --box"),
    (["scan", "x", "--box", "0:1", "--num", "3", "--finish", "magic"], "invalid choice"),
    (["scan", "x+y+z", "--box", "0:1,0:1,0:1", "--num", "3", "--plot", "p.png"],
     "--plot draws 1 or 2 variables"),
    # unknown variables and functions
    (["scan", "x + q", "--box", "0:1,0:1", "--num", "3"], "unknown name 'q'"),
    (["scan", "x + y + z", "--box", "0:1,0:1", "--num", "3"],
     r"uses 'z' but the box has 2 axes \(x, y\)"),
    (["scan", "a + c", "--vars", "a,b", "--box", "0:1,0:1", "--num", "3"],
     "unknown name 'c': the variables are a, b"),
    (["scan", "a", "--vars", "a,b", "--box", "0:1", "--num", "3"], "2 variable names given"),
    (["scan", "foo(x)", "--box", "0:1", "--num", "3"], "unknown function 'foo'"),
    (["classify", "cosine(x)", "--at", "0"], "unknown function 'cosine'"),
    # expressions that reach for Python internals
    (["scan", "__import__('os').system('echo hacked')", "--box", "0:1", "--num", "2"],
     "not allowed"),
    (["scan", "().__class__.__base__.__subclasses__()", "--box", "0:1", "--num", "2"],
     "not allowed"),
    (["scan", "x.__class__", "--box", "0:1", "--num", "2"], "attribute access not allowed"),
    (["scan", "globals()", "--box", "0:1", "--num", "2"], "unknown function 'globals'"),
    (["scan", "eval('1')", "--box", "0:1", "--num", "2"], "unknown function 'eval'"),
    (["scan", "(lambda: 1)()", "--box", "0:1", "--num", "2"], "only calls of the listed"),
    (["scan", "x[0]", "--box", "0:1", "--num", "2"], "subscripts not allowed"),
    (["classify", "__builtins__", "--at", "0"], "names starting with an underscore"),
    (["scan", "sin(" * 60 + "x" + ")" * 60, "--box", "0:1", "--num", "2"], "nested too deeply"),
    (["scan", "x+" * 1500 + "x", "--box", "0:1", "--num", "2"], "too long"),
    (["scan", "x +", "--box", "0:1", "--num", "2"], "invalid expression"),
    # classify points
    (["classify", "x+y", "--at", "0,0", "--at", "1"], "the same number of coordinates"),
    (["classify", "x+y+z", "--at", "0,0"], "uses 'z' but the point has 2 coordinates"),
    (["classify", "x", "--at", "1,inf"], "coordinate 2 must be a finite number"),
    (["classify", "x", "--at", ""], "--at is empty"),
    (["classify", "x"], "the following arguments are required: --at"),
    # commands
    ([], "give a command"),
    (["optimise"], "invalid choice: 'optimise'"),
    (["scan", "x", "--box", "0:1", "--num", "3", "--bogus"], "unrecognized arguments"),
]


@pytest.mark.parametrize("argv, match", BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_one_line_exit_2(capsys, argv, match):
    import re

    status, out, err = run(capsys, argv)
    assert status == 2
    assert out == ""
    assert err.startswith("fastopt: error: ") and err.endswith("\n")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(match, err), err
