"""Cold start: compile time of the first call of each public function with a new objective.

Usage: python benchmarks/cold_start.py  (prints a markdown table)

Each row runs in a fresh Python process: ``import fastopt`` time, then the first call
(numba compiles the kernel specialised for this objective), then a second objective in
the same process (the steady per-objective compile cost), then a warm call. numba
specialises kernels per objective (issues #6264, #2956), so no on-disk cache helps.
"""

from __future__ import annotations

import json
import subprocess
import sys

CASES = {
    "gradient (1 point, serial)": "fastopt.gradient(f, np.ones(3))",
    "gradient (10^5 points, parallel)": "fastopt.gradient(f, np.ones((100000, 3)))",
    "gradient richardson": "fastopt.gradient(f, np.ones(3), method='richardson')",
    "gradient complex": "fastopt.gradient(f, np.ones(3), method='complex')",
    "jacobian": "fastopt.jacobian(F, np.ones(3))",
    "hessian (1 point, serial)": "fastopt.hessian(f, np.ones(3))",
    "hessian (10^4 points, parallel)": "fastopt.hessian(f, np.ones((10000, 3)))",
    "taylor": "fastopt.taylor(f, np.ones(3))",
}

SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import numba, numpy as np
import fastopt
t_import = time.perf_counter() - t0

def make(k):
    @numba.njit
    def f(x):
        return np.sum(np.sin(x) * x) + k * x[0] * x[-1]
    @numba.njit
    def F(x):
        return np.sin(x) * k
    return f, F

times = []
for k in (1.0, 2.0, 3.0):
    f, F = make(k)
    t0 = time.perf_counter()
    {call}
    times.append(time.perf_counter() - t0)
print(json.dumps({{"import": t_import, "first": times[0], "second": times[1], "third": times[2]}}))
"""


def main() -> None:
    """Run every case in a fresh process and print the table."""
    print("| call | import fastopt [s] | first call, fresh process [s] "
          "| new objective, warm process [s] |")
    print("|---|---:|---:|---:|")
    for name, call in CASES.items():
        out = subprocess.run([sys.executable, "-c", SCRIPT.format(call=call)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| `{call}` ({name}) | {r['import']:.2f} | {r['first']:.2f} "
              f"| {min(r['second'], r['third']):.2f} |")


if __name__ == "__main__":
    main()
