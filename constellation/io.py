"""Reading and writing results: NetCDF-4 (``.nc``) and Zarr (``.zarr``), written atomically.

The public face of the result formats (:mod:`constellation.formats`: the encodings, :func:`write_dataset`,
:func:`read_arrays`), of the atomic writes (:func:`write_text`, :mod:`constellation.atomic`) and of the
checkpoint stores: :func:`read_dataset` refuses a resumable run's store that has not finished.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import formats
from .atomic import write_text
from .formats import DatasetParts, build_dataset, cf_attrs, output_format, read_arrays, write_dataset

__all__ = ["write_dataset", "read_dataset", "read_arrays", "write_text", "output_format", "cf_attrs", "cell_table",
           "DatasetParts", "build_dataset"]


def read_dataset(path: str | os.PathLike, *, format: str | None = None):
    """Read a NetCDF-4 file or Zarr store written by :func:`write_dataset` (or any other) into memory.

    The file is closed before returning; variables, coordinates, dtypes (``bool``, strings,
    ``datetime64``) and attributes come back as they were written.  A coverage checkpoint store
    (:mod:`constellation.checkpoint`) whose run has not finished is refused with
    :class:`constellation.checkpoint.IncompleteRunError` ("resume it"), never read half-done.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    if Path(path).exists() and formats.input_format(path, format) == "zarr":
        from .checkpoint import check_complete  # (a NetCDF reader never needs it)

        check_complete(path)
    return formats.read_dataset(path, format=format)


def cell_table(ds):
    """The per-cell figures of merit of a coverage (or DOP) result as a ``pandas.DataFrame``, one row per
    cell (and service), without the time series: ``ds.to_dataframe()`` broadcasts every per-cell value over
    ``time`` (for the default one-day 1 deg run, 187 million rows).  The series are in ``ds`` as they are.
    """
    import xarray as xr

    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    return ds.drop_dims([d for d in ("time",) if d in ds.dims]).to_dataframe()
