"""What a first run costs: compiling the numba kernels, from an empty cache, for the README's first command.

Runs, each in a fresh process with an empty ``NUMBA_CACHE_DIR``:

1. ``constellation coverage --quiet`` (the README's first command) as a user does, with the package's
   parallel first-run compile: its wall time, and the compile time it reports;
2. the same in one process with numba's compile events recorded (``CONSTELLATION_COMPILE_PROCESSES=1``):
   the compile seconds of each kernel (exclusive: a kernel's own compile, not the kernels it calls, which
   are listed themselves) and their total, the compile work whatever the number of cores;
3. the command again, warm (kernels cached): its wall time, median of ``--repeats``.

With ``--baseline REV`` the same is measured for another git revision of this repository (checked out
into a temporary worktree with its own environment), and the table shows both.

Run:   uv run python benchmarks/bench_compile.py
       uv run python benchmarks/bench_compile.py --baseline e542229 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_RECORD = r"""
import json, os, sys, time, collections
from numba.core import event as ev
class Rec(ev.Listener):
    def __init__(self):
        self.stack, self.excl = [], collections.defaultdict(float)
    def on_start(self, e):
        self.stack.append([e.data["dispatcher"], time.perf_counter(), 0.0])
    def on_end(self, e):
        d, t0, child = self.stack.pop()
        dt = time.perf_counter() - t0
        f = getattr(d, "py_func", d)
        mod = getattr(f, "__module__", "?") or "?"
        key = (mod.split(".")[-1] + "." + f.__name__) if mod.startswith("constellation") else "numba internals"
        self.excl[key] += dt - child
        if self.stack:
            self.stack[-1][2] += dt
rec = Rec()
ev.register("numba:compile", rec)
from constellation.cli import main
code = main(sys.argv[1:])
with open(os.environ["BENCH_COMPILE_OUT"], "w") as fh:
    json.dump(dict(rec.excl), fh)
sys.exit(code)
"""


def _run(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{res.stderr[-3000:]}")
    return wall, res.stderr


def measure(repo: Path, python: str, repeats: int, out_dir: Path) -> dict:
    """The three measurements for the checkout at ``repo`` run by ``python``."""
    args = ["coverage", "--quiet", "-o", str(out_dir / "coverage.nc")]
    base_env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "CONSTELLATION_COMPILE_PROCESSES")}
    with tempfile.TemporaryDirectory() as cache:
        env = {**base_env, "NUMBA_CACHE_DIR": cache}
        wall_first, err = _run([python, "-m", "constellation", *args], repo, env)
        reported = [ln for ln in err.splitlines() if "compiled in" in ln]
        warm = [_run([python, "-m", "constellation", *args], repo, env)[0] for _ in range(repeats)]
    with tempfile.TemporaryDirectory() as cache:
        rec_file = out_dir / "compile_events.json"
        env = {**base_env, "NUMBA_CACHE_DIR": cache, "CONSTELLATION_COMPILE_PROCESSES": "1",
               "BENCH_COMPILE_OUT": str(rec_file)}
        wall_one, _ = _run([python, "-c", _RECORD, *args], repo, env)
        per_kernel = json.loads(rec_file.read_text())
    return dict(first_wall_s=wall_first, reported=reported[-1] if reported else "", warm_s=warm,
                one_process_wall_s=wall_one, per_kernel_s=per_kernel)


def _worktree(rev: str, where: Path) -> tuple[Path, str]:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), rev], check=True,
                   capture_output=True)
    subprocess.run(["uv", "sync", "--locked", "-q"], cwd=where, check=True)
    return where, str(where / ".venv" / "bin" / "python")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", metavar="REV", help="also measure this git revision (e.g. a commit hash)")
    ap.add_argument("--repeats", type=int, default=5, help="warm runs of the command (median; default 5)")
    ap.add_argument("--top", type=int, default=12, help="kernels listed by name (the rest are summed)")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results["this tree"] = measure(REPO, sys.executable, args.repeats, tmp)
        if args.baseline:
            wt, py = _worktree(args.baseline, tmp / "baseline")
            try:
                results[f"baseline {args.baseline}"] = measure(wt, py, args.repeats, tmp)
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(wt)], check=False)
    names = list(results)
    cur = results[names[0]]["per_kernel_s"]
    top = sorted(cur, key=lambda k: -cur[k])[:args.top]
    print(f"# First run of `constellation coverage --quiet` from an empty numba cache ({os.cpu_count()} cores)\n")
    print("Compile seconds per kernel, this tree, one process (a kernel's own compile, not the kernels it calls):\n")
    print("| kernel | compile |")
    print("|---|---:|")
    for k in top:
        print(f"| `{k}` | {cur[k]:.1f} s |")
    print(f"| every other kernel | {sum(v for k, v in cur.items() if k not in top):.1f} s |")
    print(f"| **total** | **{sum(cur.values()):.1f} s** |\n")
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows = [("compile work, one process (sum of the compile events)",
             lambda r: f"{sum(r['per_kernel_s'].values()):.1f} s"),
            ("command wall time, one process", lambda r: f"{r['one_process_wall_s']:.1f} s"),
            ("**command wall time as a user runs it**", lambda r: f"**{r['first_wall_s']:.1f} s**"),
            (f"warm command wall time (median of {args.repeats})", lambda r: f"{statistics.median(r['warm_s']):.2f} s")]
    for label, cell in rows:
        print(f"| {label} | " + " | ".join(cell(r) for r in results.values()) + " |")
    for n, r in results.items():
        if r["reported"]:
            print(f"\n{n}: the command reported `{r['reported'].strip()}`")


if __name__ == "__main__":
    main()
