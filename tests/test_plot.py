"""Figures (fastopt.plot): rendered with Agg to PNG files, legends by kind."""

import builtins

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from fastopt import PointType, plot  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def saddle(x):
    return x[0] ** 2 - x[1] ** 2


def cubic(x):
    return x[0] ** 3 - 3.0 * x[0]


def legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def is_png(path):
    data = path.read_bytes()
    return data[:8] == PNG and len(data) > 5000


def test_landscape_marks_every_kind(tmp_path):
    x = np.array([[0.0, 0.0], [0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [0.9, 0.9]])
    kind = np.array([PointType.SADDLE, PointType.MINIMUM, PointType.MAXIMUM,
                     PointType.DEGENERATE, PointType.NOT_CRITICAL])
    path = tmp_path / "landscape.png"
    fig = plot.landscape(saddle, [(-1, 1), (-1, 1)], num=40, critical=(x, kind),
                         points={"grid best": [0.1, 0.2]}, title="x^2 - y^2", filename=path)
    assert is_png(path)
    assert legend(fig) == ["minimum", "maximum", "saddle", "degenerate", "grid best"]
    assert fig.axes[0].get_title() == "x^2 - y^2"
    assert fig.axes[1].get_ylabel() == "f"  # the colour bar


def test_landscape_from_values_log_scale_and_svg(tmp_path):
    xs = np.linspace(-5, 5, 30)
    values = np.exp(np.add.outer(xs, xs))  # very skewed: auto picks the log scale
    values[0, 0] = np.nan  # masked, not an error
    path = tmp_path / "values.svg"
    fig = plot.landscape(None, [(-5, 5), (-5, 5)], values=values, filename=path)
    assert path.read_text().lstrip().startswith("<?xml")
    assert fig.axes[1].get_ylabel().startswith("log10(1 + f")
    fig = plot.landscape(None, [(-5, 5), (-5, 5)], values=values, scale="linear")
    assert fig.axes[1].get_ylabel() == "f"


def test_paths_over_the_landscape(tmp_path):
    steps = np.array([[-1.5, 1.0], [0.0, -0.5], [0.8, 0.1], [1.0, 0.0]])
    path = tmp_path / "paths.png"
    fig = plot.paths(lambda x: (x[0] - 1) ** 2 + 4 * x[1] ** 2, [(-2, 2), (-1.5, 1.5)],
                     {"newton": steps, "bfgs": steps[::-1]}, num=30, filename=path)
    assert is_png(path)
    assert legend(fig) == ["newton", "bfgs"]


def test_curve(tmp_path):
    crit = (np.array([[-1.0], [1.0]]), np.array([PointType.MAXIMUM, PointType.MINIMUM]))
    path = tmp_path / "curve.png"
    fig = plot.curve(cubic, [(-2.0, 2.0)], critical=crit, points={"start": [0.5]},
                     label="t", filename=path)
    assert is_png(path)
    assert legend(fig) == ["f", "minimum", "maximum", "start"]
    assert fig.axes[0].get_xlabel() == "t"
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), line.get_xdata() ** 3 - 3 * line.get_xdata())


def test_comparison(tmp_path):
    rows = [{"method": "grid", "nfev": 121, "error": 0.05},
            {"method": "grid", "nfev": 10201, "error": 6e-4},
            {"method": "newton", "nfev": 90, "error": 0.0},  # drawn at the floor
            {"method": "bfgs", "nfev": 70, "error": 1e-12, "seconds": 1e-4}]
    path = tmp_path / "comparison.png"
    fig = plot.comparison(rows, title="error versus evaluations", filename=path)
    assert is_png(path)
    assert legend(fig) == ["grid", "newton", "bfgs"]
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_lines()[1].get_ydata()[0] == 1e-17
    with pytest.raises(ValueError, match="every row needs the keys"):
        plot.comparison([{"method": "grid", "nfev": 3}])
    with pytest.raises(ValueError, match="at least one run"):
        plot.comparison([])


def test_into_existing_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 2)
    out = plot.curve(cubic, (-2, 2), ax=axes[0])
    assert out is fig and axes[0].get_lines()
    plot.landscape(saddle, [(-1, 1), (-1, 1)], num=20, ax=axes[1])
    assert axes[1].collections


def test_with_found_critical_points(tmp_path):
    import fastopt

    # the objective and options of the CLI tests: compiled once for both
    f = fastopt.compile_expression("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", n=2)
    box = [(-5.0, 5.0), (-5.0, 5.0)]
    crit = fastopt.find_critical_points(f.func, box)
    fig = plot.landscape(f.func, box, num=60, critical=crit, filename=tmp_path / "h.png")
    assert legend(fig) == ["minimum", "maximum", "saddle"]
    assert [len(line.get_xdata()) for line in fig.axes[0].get_lines()] == [4, 1, 4]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: plot.landscape(saddle, [(-1, 1)]), r"`bounds` must be 2 finite \(lo, hi\)"),
        (lambda: plot.landscape(saddle, [(1, -1), (0, 1)]), "lo < hi"),
        (lambda: plot.landscape(saddle, [(0, np.inf), (0, 1)]), "finite"),
        (lambda: plot.landscape(saddle, [(0, 1), (0, 1)], num=1), "`num` must be >= 2"),
        (lambda: plot.landscape(None, [(0, 1), (0, 1)], values=np.ones(3)), "2-D array"),
        (lambda: plot.landscape(saddle, [(0, 1), (0, 1)], num=5, scale="cubic"), "`scale`"),
        (lambda: plot.curve(cubic, [(0, 1), (0, 1)]), "1 finite"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'fastopt\[plot\]'"):
        plot.comparison([{"method": "grid", "nfev": 1, "error": 1.0}])
