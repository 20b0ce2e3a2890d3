"""``constellation compare``: two coverage results on one grid side by side, and the map of what changed."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
examples:
  constellation coverage --launched --region China -o launched.nc
  constellation coverage --region China -o full.nc
  constellation compare launched.nc full.nc                         # the table: means, worst cells, change
  constellation compare launched.nc full.nc -o diff.png --fom revisit_max_s --diff diff.nc

Both files must hold results on the same grid.  The map shows B - A on a diverging scale centred on zero,
blue where B is better.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "compare", help="compare two coverage results: table of figures of merit and a difference map",
        description="Compare two coverage results (NetCDF or Zarr from 'constellation coverage') on the same "
                    "grid: area-weighted means, worst cells and where B improved or worsened on A, per figure "
                    "of merit; optionally the map of one difference and the per-cell differences as a file.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", metavar="A", help="the reference result")
    p.add_argument("b", metavar="B", help="the result compared with A")
    p.add_argument("-o", "--output", metavar="PNG", help="draw the map of B - A for --fom to this image")
    p.add_argument("--fom", default="coverage_fraction", metavar="NAME",
                   help="figure of merit for the map (default: coverage_fraction)")
    p.add_argument("--service", metavar="NAME", help="service of multi-service results (default: any)")
    p.add_argument("--diff", metavar="PATH", help="write the per-cell differences B - A (.nc or .zarr)")
    p.add_argument("--dpi", type=float, default=150.0, help="resolution of the image (default: 150)")
    p.set_defaults(func=run)
    return p


def _read(path: str):
    from .plot import _read_result

    ds = _read_result(path)
    if "coverage_fraction" not in ds.variables:
        raise ValueError(f"{path}: not a coverage result (no coverage_fraction); expected a file written by "
                         f"'constellation coverage'")
    return ds


def run(args: argparse.Namespace) -> int:
    from ..comparison import compare, difference_map

    cmp = compare(_read(args.a), _read(args.b), service=args.service)
    print(cmp)
    if args.diff:
        from ..io import write_dataset

        write_dataset(cmp.diff, args.diff)
        print(f"differences written to {args.diff}")
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        from ..atomic import write_atomically

        fig, _ = difference_map(cmp, args.fom)
        out = Path(args.output)
        write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=args.dpi, bbox_inches="tight",
                                                      format=out.suffix.lstrip(".") or "png"))
        print(f"map of the change in {args.fom} written to {args.output}")
    return 0
