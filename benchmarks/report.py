"""Turn a pytest-benchmark JSON file into the markdown ratio tables of docs/benchmarks.md.

Usage: python benchmarks/report.py benchmarks/results.json > docs/benchmarks-latest.md

For every benchmark group the table lists each library's median time and the ratio
``library median / fastopt median`` (so 250x means fastopt is 250 times faster than that
library, and 0.5x means it is twice as fast as fastopt), all measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections import defaultdict
from importlib import metadata


def _lib(bench) -> str:
    params = bench.get("params") or {}
    return str(params.get("lib", bench["name"].split("[", 1)[-1].rstrip("]")))


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def main(path: str) -> None:
    """Print the report for the results file at `path`."""
    with open(path) as fh:
        data = json.load(fh)
    groups = defaultdict(dict)
    extra = {}
    for bench in data["benchmarks"]:
        group = bench["group"] or bench["name"]
        groups[group][_lib(bench)] = bench["stats"]["median"]
        if bench.get("extra_info"):
            extra[(group, _lib(bench))] = bench["extra_info"]
    info = data.get("machine_info", {})
    cpu = info.get("cpu", {}).get("brand_raw", platform.processor() or "unknown CPU")
    print(f"Measured {data.get('datetime', '')[:19]} UTC on {cpu}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}.")
    libs = ["fastopt", "numba", "numpy", "scipy", "numdifftools", "jax", "dask"]
    print("Versions: " + ", ".join(f"{n} {_version(n)}" for n in libs) + ".")
    print("Ratio = library median / fastopt median (higher: fastopt faster).\n")
    for group in sorted(groups):
        rows = groups[group]
        ref = rows.get("fastopt")
        if ref is None:  # groups comparing several fastopt methods: the first one
            ref = next((rows[k] for k in sorted(rows) if k.startswith("fastopt")), None)
        keys = sorted({k for (g, _), info in extra.items() if g == group for k in info})
        print(f"### {group}\n")
        print("| library | median | ratio |" + "".join(f" {k} |" for k in keys))
        print("|---|---:|---:|" + "---:|" * len(keys))
        for lib, med in sorted(rows.items(), key=lambda kv: kv[1]):
            ratio = f"{med / ref:.3g}x" if ref else "n/a"
            info = extra.get((group, lib), {})
            cells = "".join(
                f" {info[k]:.2g} |" if isinstance(info.get(k), float) else f" {info.get(k, '')} |"
                for k in keys
            )
            print(f"| {lib} | {_fmt(med)} | {ratio} |{cells}")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results.json")
