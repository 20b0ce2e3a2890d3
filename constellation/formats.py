"""Result file formats: NetCDF-4 (``.nc``) and Zarr (``.zarr``), written atomically.

* :func:`write_dataset` writes an ``xarray.Dataset`` to a temporary name in the destination's folder and
  renames it into place (:func:`constellation.atomic.write_atomically`), so an interrupted run (an
  exception, Ctrl-C, ``kill -9``, a full disk) never leaves a half-written output at the destination, and
  an existing output stays untouched until the new one is complete.
* :func:`read_dataset` reads it back into memory and closes the file.
* What NetCDF cannot hold is encoded on write and restored on read: ``bool`` variables become ``int8``
  with CF ``flag_values``/``flag_meanings`` (CF-1.10 section 3.5), fixed-width unicode and object strings
  become variable-length strings, and attributes that are ``None``, ``bool``, lists or dicts are stored
  in a NetCDF-legal form.  A JSON attribute ``_constellation_encoding`` on each variable (and on the
  file) records the original types so :func:`read_dataset` gives back exactly what was written.
* :func:`read_arrays` is the xarray-free path: a NetCDF file written here as plain numpy arrays and
  dicts, read with h5netcdf alone.
* :class:`DatasetParts` is a result before it is a Dataset (plain arrays and dicts, no xarray needed to
  make, pickle or send it); :func:`build_dataset` makes the Dataset.

NetCDF is written with h5netcdf (engine ``"h5netcdf"``) on h5py; Zarr is
written in Zarr format 2 with consolidated metadata, the layout most other readers understand.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .atomic import write_atomically

__all__ = ["write_dataset", "read_dataset", "read_arrays", "output_format", "input_format", "cf_attrs",
           "encode_dataset", "decode_dataset", "DatasetParts", "build_dataset", "write_zarr", "missing_chunks",
           "ALL_CHUNKS"]

#: The attribute that records what :func:`encode_dataset` changed (CF-1.10 section 2.3: names begin with a
#: letter); files written before 0.2 carry it as ``_constellation_encoding``, also read.
_MARK = "constellation_encoding"
_OLD_MARK = "_constellation_encoding"
#: Compression of NetCDF variables (lossless: values read back bit for bit).
COMPRESSION = dict(zlib=True, complevel=1, shuffle=True)


class DatasetParts(NamedTuple):
    """A Dataset's parts, as ``xarray.Dataset(data_vars, coords=coords, attrs=attrs)`` takes them (variables
    as ``(dims, values, attrs)`` tuples of numpy arrays), and the coordinate it is indexed by
    (``Dataset.set_xindex``), if any.  Made without xarray, they pickle without it too; :func:`build_dataset`
    makes the same Dataset wherever it runs."""

    data_vars: dict
    coords: dict
    attrs: dict
    index: str | None = None


def build_dataset(parts: DatasetParts):
    """The ``xarray.Dataset`` of ``parts``."""
    import xarray as xr

    ds = xr.Dataset(parts.data_vars, coords=parts.coords, attrs=parts.attrs)
    return ds.set_xindex(parts.index) if parts.index else ds


def _pop_mark(attrs: dict) -> dict:
    """Remove the encoding marker from ``attrs`` (either spelling) and return what it records."""
    text = attrs.pop(_MARK, None)
    old = attrs.pop(_OLD_MARK, None)
    return json.loads(text if text is not None else (old if old is not None else "{}"))
_NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".h5", ".hdf5")
_ZARR_SUFFIXES = (".zarr",)


def output_format(path: str | os.PathLike, format: str | None = None) -> str:
    """Return ``"netcdf"`` or ``"zarr"`` for ``path``: from ``format`` when given (``"netcdf"``/``"nc"``,
    ``"zarr"``), else from the suffix (``.nc``, ``.nc4``, ``.netcdf`` / ``.zarr``).

    Raises ``ValueError`` naming the path when neither decides.
    """
    if format is not None:
        f = str(format).lower()
        if f in ("netcdf", "netcdf4", "nc", "nc4", "h5netcdf"):
            return "netcdf"
        if f == "zarr":
            return "zarr"
        raise ValueError(f"unknown output format {format!r}: expected 'netcdf' or 'zarr'")
    suffix = Path(path).suffix.lower()
    if suffix in _NETCDF_SUFFIXES:
        return "netcdf"
    if suffix in _ZARR_SUFFIXES:
        return "zarr"
    raise ValueError(f"cannot tell the output format of {str(path)!r} from its suffix {suffix!r}: "
                     f"expected .nc (NetCDF-4) or .zarr (Zarr)")


def cf_attrs(ds, *, history: str | None = None):
    """Return ``ds`` (a shallow copy) with CF-1.10 global attributes in place: ``Conventions``, and a
    ``history`` line stamped with the current UTC time (CF-1.10 section 2.6.2) when ``history`` is given.
    Existing attributes are kept; nothing else changes.
    """
    out = ds.copy(deep=False)
    out.attrs = dict(ds.attrs)
    out.attrs.setdefault("Conventions", "CF-1.10")
    if history:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp}: {history}"
        old = out.attrs.get("history")
        out.attrs["history"] = f"{old}\n{line}" if old else line
    return out


# -- encoding what the formats cannot hold -----------------------------------------------------------

def _encode_attrs(attrs: dict) -> tuple[dict, dict]:
    """Return NetCDF-legal attrs and a map name -> original type for those that needed a change."""
    out, kinds = {}, {}
    for k, v in attrs.items():
        if k in (_MARK, _OLD_MARK):
            continue
        if v is None:
            out[k], kinds[k] = "", "none"
        elif isinstance(v, (bool, np.bool_)):
            out[k], kinds[k] = np.int8(v), "bool"
        elif isinstance(v, (list, tuple, dict)):
            out[k], kinds[k] = json.dumps(_jsonable(v)), type(v).__name__
        elif isinstance(v, np.ndarray):
            if v.dtype == bool:
                out[k] = v.astype(np.int8)
            elif v.dtype.kind in "UO":
                out[k] = json.dumps(v.tolist())
            else:
                out[k] = v
            kinds[k] = f"ndarray:{v.dtype.str}"
        else:
            out[k] = v
    return out, kinds


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def _decode_attrs(attrs: dict, kinds: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        kind = kinds.get(k)
        if kind is None:
            out[k] = v
        elif kind == "none":
            out[k] = None
        elif kind == "bool":
            out[k] = bool(np.asarray(v).item())
        elif kind in ("list", "tuple", "dict"):
            val = json.loads(v)
            out[k] = tuple(val) if kind == "tuple" else val
        elif kind.startswith("ndarray:"):
            dt = np.dtype(kind.split(":", 1)[1])
            val = json.loads(v) if isinstance(v, str) and dt.kind in "UO" else v
            out[k] = np.asarray(val).astype(dt)
        else:
            out[k] = v
    return out


def encode_dataset(ds):
    """Return a copy of ``ds`` that both NetCDF-4 and Zarr v2 store faithfully, with markers that
    :func:`decode_dataset` reads to restore it (what :func:`write_dataset` writes; checkpoint stores write
    their final Dataset with it too)."""
    import xarray as xr

    def enc_var(var: xr.Variable, dim_coord: bool = False) -> xr.Variable:
        attrs, kinds = _encode_attrs(var.attrs)
        info: dict[str, Any] = {}
        data = var.values
        if data.dtype == bool:
            added = [a for a in ("flag_values", "flag_meanings") if a not in attrs]
            data = data.astype(np.int8)
            if "flag_values" in added:
                attrs["flag_values"] = np.array([0, 1], dtype=np.int8)
            if "flag_meanings" in added:
                attrs["flag_meanings"] = "false true"
            info.update(dtype="bool", added=added)
        elif data.dtype.kind == "U" or data.dtype.kind == "T" or (
                data.dtype == object and all(isinstance(x, str) for x in data.ravel())):
            info["dtype"] = data.dtype.str if data.dtype.kind == "U" else "object"
            data = data.astype(object)
        elif data.dtype == object:
            raise TypeError(f"cannot store variable of dtype object holding non-strings "
                            f"({type(next(x for x in data.ravel() if not isinstance(x, str))).__name__})")
        if kinds:
            info["attrs"] = kinds
        unwrapped = _unwrapped_longitude(var) if dim_coord else None
        if unwrapped is not None:  # CF-1.10 section 5: coordinate variables strictly monotonic
            data = unwrapped
            info["wrapped"] = True
        if info:
            attrs[_MARK] = json.dumps(info)
        return xr.Variable(var.dims, data, attrs)

    coords = {k: enc_var(v.variable, dim_coord=v.dims == (k,)) for k, v in ds.coords.items()}
    data_vars = {k: enc_var(v.variable) for k, v in ds.data_vars.items()}
    _link_geolocation(data_vars)
    bounds = _add_bounds(coords, data_vars, set(ds.variables))
    attrs, kinds = _encode_attrs(ds.attrs)
    info: dict[str, Any] = {"attrs": kinds} if kinds else {}
    if bounds:
        info["bounds"] = bounds
    indexed = [k for k in ds.xindexes if k not in ds.dims]  # e.g. names, to select by: set again on reading
    if indexed:
        info["indexes"] = indexed
    if any("coordinates" in v.attrs for v in data_vars.values()):
        info["data_vars"] = list(data_vars)
    if info:
        attrs[_MARK] = json.dumps(info)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _wrap_back(lon: np.ndarray) -> np.ndarray:
    return np.where(lon >= 180.0, lon - 360.0, lon)


def _unwrapped_longitude(var) -> np.ndarray | None:
    """A longitude coordinate variable that runs east across the antimeridian (170 ... 179, -179 ...) as
    170 ... 181 (CF allows any longitude range; :func:`decode_dataset` wraps it back into [-180, 180)), or
    None when it is monotonic already or the values would not come back bit for bit."""
    if var.ndim != 1 or var.attrs.get("standard_name") != "longitude" or var.dtype.kind != "f" or var.size < 2:
        return None
    lon = np.asarray(var.values)
    if (np.diff(lon) > 0).all():
        return None
    out = np.where(lon < lon[0], lon + 360.0, lon)
    if not ((np.diff(out) > 0).all() and np.array_equal(_wrap_back(out), lon)):
        return None
    return out


def _add_bounds(coords: dict, data_vars: dict, taken: set) -> list[str]:
    """Cell bounds (CF-1.10 section 7.1) for evenly spaced latitude and longitude coordinate variables (a
    regular grid's cells tile it: centre +- half a step): adds ``NAME_bnds (NAME, nv)`` to ``data_vars`` and
    ``bounds`` to the coordinate; returns the names added (:func:`decode_dataset` drops them)."""
    import xarray as xr

    added = []
    for k, v in coords.items():
        kind = v.attrs.get("standard_name")
        if v.dims != (k,) or kind not in ("latitude", "longitude") or v.dtype.kind != "f" or v.size < 2 \
                or "bounds" in v.attrs or f"{k}_bnds" in taken:
            continue
        x = np.asarray(v.values, dtype=float)
        step = np.diff(x)
        if not (step[0] > 0 and np.allclose(step, step[0], rtol=1e-9, atol=0.0)):
            continue
        b = np.stack([x - step[0] / 2, x + step[0] / 2], axis=1)
        if kind == "latitude":
            b = np.clip(b, -90.0, 90.0)
        v.attrs["bounds"] = f"{k}_bnds"
        data_vars[f"{k}_bnds"] = xr.Variable((k, "nv"), b)
        added.append(f"{k}_bnds")
    return added


def _link_geolocation(data_vars: dict) -> None:
    """Where latitude and longitude are data variables (positions along a track), name them in the
    ``coordinates`` attribute of every variable over the same dimensions (CF-1.10 section 5: a variable's
    geolocation is in its coordinate variables or its ``coordinates`` auxiliary coordinates)."""
    by_name = {v.attrs.get("standard_name"): (k, v.dims) for k, v in data_vars.items()}
    if "latitude" not in by_name or "longitude" not in by_name:
        return
    (lat, dims), (lon, lon_dims) = by_name["latitude"], by_name["longitude"]
    if dims != lon_dims:
        return
    for k, v in data_vars.items():
        if k not in (lat, lon) and v.dims == dims and "coordinates" not in v.attrs:
            v.attrs["coordinates"] = f"{lat} {lon}"


def decode_dataset(ds):
    """Undo :func:`encode_dataset` on a dataset read back into memory."""
    import xarray as xr

    def dec_var(var: xr.Variable) -> xr.Variable:
        attrs = dict(var.attrs)
        info = _pop_mark(attrs)
        attrs = _decode_attrs(attrs, info.get("attrs", {}))
        data = var.values
        dtype = info.get("dtype")
        if dtype == "bool":
            data = np.asarray(data) != 0
            for a in info.get("added", []):
                attrs.pop(a, None)
        elif dtype == "object":
            data = np.asarray(data).astype(object)
        elif dtype is not None:
            data = np.asarray(data).astype(np.dtype(dtype))
        if info.get("wrapped"):
            data = _wrap_back(np.asarray(data))
        out = xr.Variable(var.dims, data, attrs)
        out.encoding = dict(var.encoding)
        return out

    coords = {k: dec_var(v.variable) for k, v in ds.coords.items()}
    data_vars = {k: dec_var(v.variable) for k, v in ds.data_vars.items()}
    gattrs = dict(ds.attrs)
    info = _pop_mark(gattrs)
    for name in info.get("bounds", []):  # cell bounds written for CF readers: not part of the Dataset
        data_vars.pop(name, None)
        coords.pop(name, None)
        owner = coords.get(name.removesuffix("_bnds"))
        if owner is not None:
            owner.attrs.pop("bounds", None)
    # variables that a CF reader turns into coordinates (named in another's ``coordinates``) go back
    moved = {k: coords.pop(k) for k in info.get("data_vars", []) if k in coords}
    data_vars = {**data_vars, **moved}
    order = info.get("data_vars")
    if order:
        data_vars = {k: data_vars[k] for k in [*order, *data_vars] if k in data_vars}
    out = xr.Dataset(data_vars, coords=coords, attrs=_decode_attrs(gattrs, info.get("attrs", {})))
    if out.attrs.get("half_angle_deg") in ("none", "None"):  # earlier versions wrote no cone as the text "none"
        del out.attrs["half_angle_deg"]
    for k in info.get("indexes", []):
        if k in out.coords and k not in out.xindexes:
            out = out.set_xindex(k)
    return out


# -- writing and reading -------------------------------------------------------------------------------

def _is_zarr_store(path: Path) -> bool:
    return path.is_dir() and any((path / m).exists() for m in (".zgroup", ".zmetadata", "zarr.json"))


def write_dataset(ds, path: str | os.PathLike, *, format: str | None = None) -> Path:
    """Write ``ds`` (an ``xarray.Dataset``) to ``path`` as NetCDF-4 or Zarr, atomically.

    Parameters
    ----------
    ds : xarray.Dataset
    path : path
        Destination; ``.nc`` (NetCDF-4 via h5netcdf) or ``.zarr`` (a Zarr v2 directory store) unless
        ``format`` says otherwise.  Its folder must exist.  An existing file or Zarr store there is
        replaced only once the new output is complete; an existing directory that is not a Zarr store is
        never replaced (``FileExistsError``).
    format : {"netcdf", "zarr"}, optional

    Returns
    -------
    pathlib.Path
        The path written.

    The data are written under a hidden temporary name (``.NAME.<pid>-<random>.tmp``) in the same folder, then
    renamed into place; on any error the temporary is removed and the error re-raised.
    """
    import xarray as xr

    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset (a DataArray: da.to_dataset()), got {type(ds).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    fmt = output_format(path, format)
    if path.is_dir() and not _is_zarr_store(path):
        raise FileExistsError(f"cannot write {str(path)!r}: it is a directory that is not a Zarr store "
                              f"(refusing to replace it)")
    encoded = encode_dataset(ds)
    _check_free_space(path, encoded.nbytes)
    image = _netcdf_image(encoded) if fmt == "netcdf" else None

    def write(tmp: Path) -> None:
        if image is not None:
            with open(tmp, "wb") as f:  # a short write or a full disk raises OSError here, nothing worse
                f.write(image)
        elif fmt == "netcdf":
            encoded.to_netcdf(tmp, engine="h5netcdf", encoding=_netcdf_encoding(encoded))
        else:
            write_zarr(encoded, tmp)

    return write_atomically(path, write)


#: A key of the root mark of the Zarr stores written here: every chunk of every array is on disk, those that
#: hold only the fill value too (which zarr otherwise leaves out and reads back as the fill value), so a
#: chunk file that is not there is damage, never a silent fill.
ALL_CHUNKS = "all_chunks"


def write_zarr(encoded, path: str | os.PathLike) -> None:
    """Write ``encoded`` (from :func:`encode_dataset`) as a new consolidated Zarr v2 store at ``path``, every
    chunk on disk and the store marked so (:data:`ALL_CHUNKS`; :func:`read_dataset` checks them)."""
    info = json.loads(encoded.attrs.get(_MARK, "{}"))
    info[ALL_CHUNKS] = True
    marked = encoded.copy(deep=False)
    marked.attrs = {**encoded.attrs, _MARK: json.dumps(info)}
    marked.to_zarr(path, mode="w-", zarr_format=2, consolidated=True, write_empty_chunks=True)


def missing_chunks(path: str | os.PathLike) -> list[str]:
    """The chunk files (paths relative to ``path``) that the Zarr v2 arrays directly in the group ``path``
    should have and that are not there, from each array's ``.zarray`` (shape, chunks, key separator)."""
    path = Path(path)
    gone = []
    for arr in sorted(p for p in path.iterdir() if (p / ".zarray").is_file()):
        meta = json.loads((arr / ".zarray").read_text())
        shape, chunks = meta["shape"], meta["chunks"]
        sep = meta.get("dimension_separator") or "."
        counts = [-(-int(n) // int(c)) if int(n) else 0 for n, c in zip(shape, chunks)]
        for idx in np.ndindex(*counts) if counts else [()]:
            key = sep.join(str(i) for i in idx) if idx else "0"
            if not (arr / key).is_file():
                gone.append(f"{arr.name}/{key}")
    return gone


def _check_chunks(path: Path) -> None:
    """A store written here (:data:`ALL_CHUNKS` in its root mark) with a chunk file missing is damaged."""
    try:
        attrs = json.loads((path / ".zattrs").read_text())
        marked = bool(json.loads(attrs.get(_MARK, "{}")).get(ALL_CHUNKS)) if isinstance(attrs, dict) else False
    except (OSError, ValueError, AttributeError):  # no root attributes, or not ours: read as zarr would
        return
    gone = missing_chunks(path) if marked else []
    if gone:
        raise ValueError(f"{str(path)!r} is a damaged Zarr store: {len(gone)} chunk file"
                         f"{'s' if len(gone) > 1 else ''} missing ({', '.join(gone[:3])}"
                         f"{', ...' if len(gone) > 3 else ''}); write it again")


def _netcdf_image(encoded) -> memoryview | None:
    """The NetCDF-4 file of ``encoded`` built in memory (h5netcdf on an in-memory file object), or None
    where memory cannot hold it beside the data (then it is written on disk directly, as before).

    HDF5 writing straight to disk cannot fail cleanly: a disk that fills during the write (``ENOSPC``, or
    ``EFBIG`` past a file-size limit) leaves the library's file handle half-closed, and the process may
    end in a segmentation fault when it is released.  Built in memory, the file's bytes then go to disk
    through ordinary ``write`` calls, whose errors are Python exceptions.  The image is at most the size
    of the uncompressed data (lossless compression, plus a few KiB of metadata)."""
    from .budget import available_bytes

    need = 1.25 * encoded.nbytes + (16 << 20)  # the file object grows by reallocation
    if need > available_bytes():
        return None
    return encoded.to_netcdf(None, engine="h5netcdf", encoding=_netcdf_encoding(encoded))


def _netcdf_encoding(ds) -> dict:
    """Per-variable NetCDF encoding: coordinates without a ``_FillValue`` (CF-1.10 section 2.5.1 forbids
    one on coordinate variables), numeric arrays compressed (:data:`COMPRESSION`, lossless)."""
    enc = {}
    for name, var in ds.variables.items():
        e = {}
        is_bounds = any(v.attrs.get("bounds") == name for v in ds.coords.values())
        if (name in ds.coords or is_bounds) and var.dtype.kind == "f":  # CF-1.10 2.5.1 and 7.1
            e["_FillValue"] = None
        if var.ndim and var.size and var.dtype.kind in "biuf":
            e.update(COMPRESSION)
        if e:
            enc[name] = e
    return enc


def _check_free_space(path: Path, need_bytes: int) -> None:
    """Refuse to start a write the disk cannot hold (``OSError`` ENOSPC naming the output): a write that
    runs out of space midway fails inside HDF5, which may not close cleanly.  ``need_bytes`` is the
    uncompressed size, an upper bound of what is written."""
    import errno
    import shutil

    parent = path.parent if str(path.parent) else Path(".")
    try:
        free = shutil.disk_usage(parent).free
    except OSError:
        return  # no way to tell (the write itself reports the folder's problem)
    if need_bytes > free:
        from .budget import format_bytes

        raise OSError(errno.ENOSPC, f"cannot write {str(path)!r}: it needs up to {format_bytes(need_bytes)} "
                                    f"(uncompressed) and {format_bytes(free)} is free there")


def input_format(path: str | os.PathLike, format: str | None = None) -> str:
    """``"netcdf"`` or ``"zarr"`` for an existing ``path``: a folder is a Zarr store unless ``format`` says
    otherwise, anything else as :func:`output_format` decides."""
    if format is None and Path(path).is_dir():
        return "zarr"
    return output_format(path, format)


def read_dataset(path: str | os.PathLike, *, format: str | None = None):
    """Read a NetCDF-4 file or Zarr store written by :func:`write_dataset` (or any other) into memory.

    The file is closed before returning; variables, coordinates, dtypes (``bool``, strings,
    ``datetime64``) and attributes come back as they were written.  (This reads any store as it is:
    :func:`constellation.io.read_dataset` also refuses a checkpoint store whose run has not finished.)
    """
    import xarray as xr

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    fmt = _readable(path, format)
    if fmt == "zarr" and path.is_dir():
        _check_chunks(path)
    try:
        opened = xr.open_dataset(path, engine="h5netcdf") if fmt == "netcdf" else xr.open_zarr(path, consolidated=None)
        with opened:
            loaded = opened.load()
    except MemoryError:
        raise
    except Exception as exc:  # h5py's, zarr's and the codecs' messages name no file
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise _damaged(path, fmt, exc) from exc
    return decode_dataset(loaded)


def _readable(path: Path, format: str | None) -> str:
    """The format of the result file or store ``path``, after the checks that say plainly what is wrong
    with a file that is not one (missing, empty, a folder that is no Zarr store, not HDF5)."""
    if not path.exists():
        raise FileNotFoundError(f"no such file or Zarr store: {str(path)!r}")
    fmt = input_format(path, format)
    expected = "expected a NetCDF-4 file or a Zarr store written by constellation (coverage, dop, track -o)"
    if fmt == "zarr" and path.is_dir() and not _is_zarr_store(path):
        raise ValueError(f"{str(path)!r} is a folder that is not a Zarr store (no .zgroup, .zmetadata or "
                         f"zarr.json); {expected}")
    if fmt == "netcdf":
        if path.is_dir():
            raise IsADirectoryError(f"{str(path)!r} is a folder; {expected}")
        with open(path, "rb") as f:
            head = f.read(8)
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise ValueError(f"{str(path)!r} is empty (0 bytes); {expected}")
            signature = b"\x89HDF\r\n\x1a\n"
            found = head == signature
            offset = 512
            while not found and offset + 8 <= size:  # a user block before the superblock (HDF5 spec)
                f.seek(offset)
                found = f.read(8) == signature
                offset *= 2
        if not found:
            kind = ("a NetCDF-3 (classic) file; only NetCDF-4 (HDF5) files are read"
                    if head[:3] == b"CDF" else f"not a NetCDF-4 file: no HDF5 signature (it starts with {head!r})")
            raise ValueError(f"{str(path)!r} is {kind}; {expected}")
    return fmt


def _damaged(path: Path, fmt: str, exc: BaseException) -> ValueError:
    """The error for a result file that starts as one but cannot be read through (truncated, a damaged
    chunk): it names the file; the library's own words follow in brackets."""
    kind = "NetCDF-4 file" if fmt == "netcdf" else "Zarr store"
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ValueError(f"{str(path)!r} is a damaged or truncated {kind}, it cannot be read ({detail})")


def read_arrays(path: str | os.PathLike) -> tuple[dict[str, tuple[tuple[str, ...], np.ndarray, dict]], dict]:
    """Read a NetCDF-4 file with h5netcdf alone (no xarray): the xarray-free path.

    Returns ``(variables, attrs)`` where ``variables`` maps each name to ``(dims, values, attrs)``.  CF
    times (``units = "<unit> since <ISO time>"``, CF-1.10 section 4.4) become UTC ``datetime64[ns]``; the
    encodings of :func:`write_dataset` are undone (``bool``, strings, attribute types).
    """
    import h5netcdf

    out: dict[str, tuple[tuple[str, ...], np.ndarray, dict]] = {}
    _readable(Path(path), "netcdf")
    try:
        opened = h5netcdf.File(path, "r")
    except (OSError, ValueError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise _damaged(Path(path), "netcdf", exc) from exc
    with opened as f:
        gattrs = {k: _plain(v) for k, v in f.attrs.items()}
        for name, var in f.variables.items():
            attrs = {k: _plain(v) for k, v in var.attrs.items() if k not in ("_FillValue", "_Netcdf4Dimid")}
            data = np.asarray(var[...])
            fill = var.attrs.get("_FillValue")
            info = _pop_mark(attrs)
            attrs = _decode_attrs(attrs, info.get("attrs", {}))
            units = attrs.get("units")
            if isinstance(units, str) and " since " in units and data.dtype.kind in "iuf":
                data = _decode_cf_time(data, units, fill)
                attrs.pop("units", None)
                attrs.pop("calendar", None)
            elif fill is not None and data.dtype.kind == "f":
                data = np.where(data == fill, np.nan, data)
            dtype = info.get("dtype")
            if dtype == "bool":
                data = data != 0
                for a in info.get("added", []):
                    attrs.pop(a, None)
            elif dtype is not None:
                data = np.array([x.decode() if isinstance(x, bytes) else x for x in data.ravel()],
                                dtype=object).reshape(data.shape)
                if dtype != "object":
                    data = data.astype(np.dtype(dtype))
            out[name] = (tuple(var.dimensions), data, attrs)
    info = _pop_mark(gattrs)
    return out, _decode_attrs(gattrs, info.get("attrs", {}))


def _plain(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v.item()
    return v


_CF_UNIT_NS = {"nanoseconds": 1, "microseconds": 1_000, "milliseconds": 1_000_000, "seconds": 1_000_000_000,
               "minutes": 60_000_000_000, "hours": 3_600_000_000_000, "days": 86_400_000_000_000}


def _decode_cf_time(values: np.ndarray, units: str, fill: Any) -> np.ndarray:
    unit, _, ref = units.partition(" since ")
    unit = unit.strip().lower()
    if not unit.endswith("s"):
        unit += "s"
    if unit not in _CF_UNIT_NS:
        raise ValueError(f"unsupported CF time unit {unit!r} in {units!r}")
    ref = ref.strip()
    for suffix in (" UTC", "Z", "+00:00", "+0000", "+00"):
        if ref.endswith(suffix):
            ref = ref[: -len(suffix)].strip()
            break
    t0 = np.datetime64(ref.replace(" ", "T", 1), "ns")
    mask = (values == fill) if fill is not None else np.zeros(values.shape, bool)
    if values.dtype.kind == "f":
        mask |= np.isnan(values)
        ns = np.round(np.where(mask, 0, values) * _CF_UNIT_NS[unit]).astype(np.int64)
    else:
        mask |= values == np.iinfo(np.int64).min  # xarray's NaT sentinel
        ns = np.where(mask, 0, values).astype(np.int64) * _CF_UNIT_NS[unit]
    out = t0 + ns.astype("timedelta64[ns]")
    out[mask] = np.datetime64("NaT")
    return out
