"""What the daylight clock costs: the default coverage day, with and without a Sun limit, against a baseline
revision of the package (before the daylight revisit figures).

Every coverage run now keeps each cell's daylight clock in the reduction state (32 fields instead of 24) and,
with a Sun limit, hands the Sun-limit crossings to it.  Two source trees cannot share a process, so the
baseline (``git archive`` of ``--baseline`` into a temporary folder, first on ``PYTHONPATH``) and the working
tree run in alternating processes, ``--rounds`` of each; every process warms up (and compiles, once per
tree) and then times ``--repeats`` runs of each case alternately.  The table gives the medians over all timed
runs and the ratio of the medians.

Cases: Jinan-368 on the 1 deg global grid, one day at 30 s, 10 deg mask, every figure of merit; and the same
with the Sun at least 10 deg above each cell.

Run:   uv run python benchmarks/bench_daylight.py --baseline 70d992c [--rounds 3] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
import constellation as C
reps, duration, res = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
plan = C.jinan368()
times = C.time_range("2026-01-01", duration=duration, step_s=30)
grid = C.grid.global_grid(res)
cases = {"plain": {}, "sun": {"min_sun_elevation_deg": 10.0}}
for kw in cases.values():
    C.coverage(plan, times, grid, **kw)
out = {k: [] for k in cases}
for _ in range(reps):
    for k, kw in cases.items():
        t0 = time.perf_counter()
        C.coverage(plan, times, grid, **kw)
        out[k].append(time.perf_counter() - t0)
out["src"] = C.__file__
print(json.dumps(out))
"""


def _run(env_path: str | None, reps: int, duration: str, res: float) -> dict:
    env = dict(os.environ)
    if env_path is not None:
        env["PYTHONPATH"] = env_path
    p = subprocess.run([sys.executable, "-c", CHILD, str(reps), duration, str(res)], cwd=tempfile.gettempdir(),
                       env=env, capture_output=True, text=True, check=True)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    want = REPO if env_path is None else Path(env_path)
    if not Path(out["src"]).resolve().is_relative_to(want.resolve()):
        raise RuntimeError(f"the run imported {out['src']}, not the tree under {want}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--baseline", required=True, help="git revision to compare with (e.g. 70d992c)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating process pairs (default 3)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each case per process (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 h on a 4 deg grid, 1 round of 2")
    args = ap.parse_args()
    duration, res = ("2h", 4.0) if args.quick else ("1d", 1.0)
    rounds, reps = (1, 2) if args.quick else (args.rounds, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        times: dict[str, dict[str, list[float]]] = {"baseline": {"plain": [], "sun": []},
                                                    "this tree": {"plain": [], "sun": []}}
        for _ in range(rounds):
            for label, path in (("baseline", tmp), ("this tree", None)):
                out = _run(path, reps, duration, res)
                for k in ("plain", "sun"):
                    times[label][k] += out[k]
    print(f"# bench_daylight: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; Jinan-368, "
          f"{duration} at 30 s, {res:g} deg grid; baseline {args.baseline}; median of {rounds * reps} runs each, "
          f"{rounds} alternating process pairs")
    print()
    print("| case | baseline | this tree | ratio |")
    print("|---|---:|---:|---:|")
    for k, label in (("plain", "default day, 10 deg mask"), ("sun", "same, Sun >= 10 deg")):
        b, t = statistics.median(times["baseline"][k]), statistics.median(times["this tree"][k])
        print(f"| {label} | {b:.2f} s | {t:.2f} s | {t / b:.2f}x |")


if __name__ == "__main__":
    main()
