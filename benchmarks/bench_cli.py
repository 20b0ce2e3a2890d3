"""The warm command line: the README's first command once the kernels are cached, as a user runs it.

Rows, each a fresh process, all run in turn round by round (``--repeats`` rounds; medians):

* ``python -c pass`` and ``uv run python -c pass``: what starting an interpreter, and uv, cost at least;
* ``constellation coverage --quiet`` through the environment's script, and through ``uv run`` (the
  README's command), for this tree and, with ``--baseline REV``, for another git revision (checked out
  into a temporary worktree with its own environment and numba cache, warmed first).

Run:   uv run python benchmarks/bench_cli.py
       uv run python benchmarks/bench_cli.py --baseline 731f99c --repeats 11
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_compile import REPO, _worktree  # noqa: E402


def _wall(cmd: list[str], cwd: Path, env: dict) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{res.stderr[-3000:]}")
    return wall


def _cases(tree: Path, label: str, out: Path) -> list[tuple[str, list[str], Path]]:
    args = ["coverage", "--quiet", "-o", str(out)]
    return [(f"`constellation coverage --quiet` ({label}, the environment's script)",
             [str(tree / ".venv" / "bin" / "constellation"), *args], tree),
            (f"`uv run constellation coverage --quiet` ({label})", ["uv", "run", "constellation", *args], tree)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", metavar="REV", help="also measure this git revision (e.g. a commit hash)")
    ap.add_argument("--repeats", type=int, default=9, help="rounds (median; default 9)")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("`python -c pass`", [str(REPO / ".venv" / "bin" / "python"), "-c", "pass"], REPO),
                 ("`uv run python -c pass`", ["uv", "run", "python", "-c", "pass"], REPO)]
        cases += _cases(REPO, "this tree", tmp / "this.nc")
        envs = {REPO: env}
        wt = None
        if args.baseline:
            wt, _ = _worktree(args.baseline, tmp / "baseline")
            cases += _cases(wt, f"baseline {args.baseline}", tmp / "base.nc")
            envs[wt] = {**env, "NUMBA_CACHE_DIR": str(tmp / "base-cache")}
        try:
            for _, cmd, cwd in cases:  # warm-up: kernels compiled and cached, bytecode written
                _wall(cmd, cwd, envs[cwd])
            times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
            for _ in range(args.repeats):
                for name, cmd, cwd in cases:
                    times[name].append(_wall(cmd, cwd, envs[cwd]))
        finally:
            if wt is not None:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(wt)], check=False)
    print(f"# Warm command line ({os.cpu_count()} cores, {args.repeats} rounds, "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')})\n")
    print("| command | median | min | max |")
    print("|---|---:|---:|---:|")
    for name, ts in times.items():
        print(f"| {name} | {statistics.median(ts):.2f} s | {min(ts):.2f} s | {max(ts):.2f} s |")


if __name__ == "__main__":
    main()
