"""The default coverage result written to NetCDF: file size and write time, uncompressed against each
zlib level (shuffle on), and what reading it back costs; ``write_dataset`` building the file in memory
against HDF5 writing to disk.  Also how quickly garbage element files are
refused, by size (the readers must stay linear).

    uv run python benchmarks/bench_output.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import sys
import tempfile
import time
import warnings
from pathlib import Path

import constellation as C
from constellation import formats as F
from constellation.errors import ElementSetError


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, constellation {C.__version__}")
    cov = C.coverage(C.jinan368(), C.time_range("2026-01-01", duration="1d", step_s=30), C.grid.global_grid(1.0))
    enc = F.encode_dataset(cov)
    default_compression = dict(F.COMPRESSION)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for level in (None, 1, 4, 9):
            path = Path(tmp) / f"level{level}.nc"
            if level is None:
                encoding = {}
            else:
                F.COMPRESSION["complevel"] = level
                encoding = F._netcdf_encoding(enc)
            write_s = _median_time(lambda: enc.to_netcdf(path, engine="h5netcdf", encoding=encoding),  # noqa: B023
                                   args.repeats)
            read_s = _median_time(lambda: F.read_dataset(path), args.repeats)  # noqa: B023
            rows.append((level, path.stat().st_size / 1e6, write_s, read_s))
    base = rows[0]
    print("\n| NetCDF of the default coverage result | size | write (median) | read (median) |")
    print("|---|---:|---:|---:|")
    for level, mb, w, r in rows:
        label = "uncompressed" if level is None else f"zlib level {level}, shuffle"
        print(f"| {label} | {mb:.2f} MB ({mb / base[1]:.2f}x) | {w:.3f} s ({w / base[2]:.2f}x) | "
              f"{r:.3f} s ({r / base[3]:.2f}x) |")

    print("\n| write_dataset of the default coverage result (paired, interleaved) | median | ratio |")
    print("|---|---:|---:|")
    F.COMPRESSION.clear()
    F.COMPRESSION.update(default_compression)  # the default write, as a user gets it
    on_disk, in_memory = [], []
    image = F._netcdf_image
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cov.nc"
        for k in range(2 * args.repeats):
            direct = (k % 2 == 0) == (k // 2 % 2 == 0)  # alternate which goes first
            F._netcdf_image = (lambda encoded: None) if direct else image
            t = time.perf_counter()
            F.write_dataset(cov, path)
            (on_disk if direct else in_memory).append(time.perf_counter() - t)
        F._netcdf_image = image
        size_mb = path.stat().st_size / 1e6
    base = statistics.median(on_disk)
    print(f"| HDF5 writing to the file on disk (before) | {base:.3f} s | 1.00x |")
    m = statistics.median(in_memory)
    print(f"| built in memory ({size_mb:.2f} MB image), then written (now) | {m:.3f} s | {m / base:.2f}x |")

    print("\n| printable garbage, lines of 1-80 characters | load(strict=False) (median) | per MiB |")
    print("|---|---:|---:|")
    tle = ("CALSPHERE 1\n1 00900U 64063C   25276.40506345  .00001381  00000+0  14054-2 0  9995\n"
           "2 00900  90.2161  65.8288 0024814 353.6290  59.3958 13.76225239 36103\n")
    rng = random.Random(1)
    for mib in (1, 4, 16):
        lines, size = [], 0
        while size < mib << 20:
            line = "".join(rng.choices(string.printable[:95], k=rng.randint(1, 80)))
            lines.append(line)
            size += len(line) + 1
        text = "\n".join(lines)

        def load(text=text):
            try:
                C.elements.loads(text, strict=False)
            except ElementSetError:
                return
            raise AssertionError("garbage was not refused")

        s = _median_time(load, max(1, args.repeats // 2))
        print(f"| {mib} MiB, refused from its first lines | {s:.3f} s | {s / mib:.3f} s |")
        text = tle + text   # one good record first: every line is read and reported

        def load_all(text=text):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                C.elements.loads(text, strict=False)

        s = _median_time(load_all, max(1, args.repeats // 2))
        print(f"| {mib} MiB after one valid record, every line read | {s:.2f} s | {s / mib:.2f} s |")


if __name__ == "__main__":
    main()
