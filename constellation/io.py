"""Reading and writing results: NetCDF-4 (``.nc``) and Zarr (``.zarr``), written atomically.

The public face of :mod:`constellation.formats` (the encodings and the atomic writes) and of
:mod:`constellation.atomic` (:func:`write_text`).
"""

from __future__ import annotations

from .atomic import write_text
from .formats import cf_attrs, output_format, read_arrays, read_dataset, write_dataset

__all__ = ["write_dataset", "read_dataset", "read_arrays", "write_text", "output_format", "cf_attrs"]
