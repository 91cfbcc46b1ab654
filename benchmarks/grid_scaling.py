"""Time of fastopt.grid_search versus the spacing eps and the dimension n.

The textbook claim: a grid of spacing eps on a box in R^n has ~(width / eps)^n points,
so the time grows like eps^-n and the slope of log(time) against log(1/eps) is n. This
script measures it on the Rastrigin function over [-5.12, 5.12]^n, fits the slope per n
(on the scans of at least 3 million points, where the per-call and per-block overheads
are negligible), writes
``docs/grid_scaling.png`` and prints the markdown tables quoted in ``docs/grid.md``::

    .venv/bin/python benchmarks/grid_scaling.py [--repeat 3] [--png docs/grid_scaling.png]
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402

import fastopt  # noqa: E402

WIDTH = 10.24
#: points per axis for each n: ~1e5 to ~1e8 points in total
POINTS_PER_AXIS = {
    1: np.geomspace(1e5, 1e8, 7),
    2: np.geomspace(10**2.5, 1e4, 7),
    3: np.geomspace(10 ** (5 / 3), 10 ** (8 / 3), 7),
    4: np.geomspace(10**1.25, 100, 7),
}
MIN_FIT_POINTS = 3_000_000


def rastrigin(x):
    s = 10.0 * x.shape[0]
    for i in range(x.shape[0]):
        s += x[i] * x[i] - 10.0 * np.cos(2.0 * np.pi * x[i])
    return s


def measure(repeat):
    rows = []
    for n, per_axis in POINTS_PER_AXIS.items():
        bounds = [(-WIDTH / 2, WIDTH / 2)] * n
        fastopt.grid_search(rastrigin, bounds, num=64, progress=False)  # compile
        for m in per_axis:
            eps = WIDTH / (m - 1)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                res = fastopt.grid_search(rastrigin, bounds, eps=eps, progress=False)
                times.append(time.perf_counter() - t0)
            rows.append((n, eps, res.num[0], res.nfev, min(times)))
    return rows


def fit(rows):
    slopes = {}
    for n in POINTS_PER_AXIS:
        sel = [(e, p, t) for (nn, e, _, p, t) in rows if nn == n and p >= MIN_FIT_POINTS]
        if len(sel) >= 2:
            e, p, t = np.array(sel).T
            slopes[n] = (
                np.polyfit(np.log(1 / e), np.log(t), 1)[0],
                np.polyfit(np.log(p), np.log(t), 1)[0],
                len(sel),
            )
    return slopes


def plot(rows, slopes, path):
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for n in POINTS_PER_AXIS:
        e = np.array([r[1] for r in rows if r[0] == n])
        t = np.array([r[4] for r in rows if r[0] == n])
        label = f"n = {n}"
        if n in slopes:
            label += f": slope {slopes[n][0]:.2f}"
        ax.loglog(1 / e, t, "o-", label=label)
    ax.set_xlabel("1 / eps  (grid spacing, box [-5.12, 5.12]^n)")
    ax.set_ylabel("time of grid_search [s]")
    ax.set_title(f"Rastrigin, {numba.get_num_threads()} threads: time ~ eps^-n")
    ax.legend()
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--png", default=os.path.join("docs", "grid_scaling.png"))
    options = parser.parse_args()
    rows = measure(options.repeat)
    slopes = fit(rows)
    plot(rows, slopes, options.png)
    print(
        f"<!-- {datetime.date.today()}, {platform.node()}, nproc={os.cpu_count()}, "
        f"numba {numba.__version__}, {numba.get_num_threads()} threads, best of "
        f"{options.repeat} -->\n"
    )
    print("| n | eps | points per axis | points | time [s] | ns / point |")
    print("|---|---|---|---|---|---|")
    for n, eps, m, total, t in rows:
        print(f"| {n} | {eps:.3g} | {m} | {total:.3g} | {t:.4f} | {1e9 * t / total:.1f} |")
    print(
        "\n| n | slope of log(time) vs log(1/eps) | slope vs log(points) "
        "| scans used (>= 3e6 points) |"
    )
    print("|---|---|---|---|")
    for n, (slope, per_point, count) in slopes.items():
        print(f"| {n} | {slope:.2f} | {per_point:.2f} | {count} |")
    assert all(math.isfinite(s) for s, _, _ in slopes.values())


if __name__ == "__main__":
    main()
