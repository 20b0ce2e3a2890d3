"""Resumable coverage runs: each finished time chunk's partial results kept in a Zarr store.

A long run (``coverage(..., checkpoint="run.zarr")``, ``constellation coverage --output run.zarr``) writes
the partial result of every time chunk as soon as it is computed; a run killed at any moment (Ctrl-C,
``kill -9``, a lost node) and started again with ``resume=True`` (``--resume``) loads the finished chunks,
computes only the missing ones and ends with a Dataset bit-identical to an uninterrupted run (the chunk
states are exact integers, see :mod:`constellation.kernels.reductions`, and positions do not depend on
which chunk computes them).

Store layout (Zarr format 2, a directory)
-----------------------------------------
``run.zarr/partial/``
    a Zarr group whose attributes (``.zattrs``, key ``constellation_checkpoint``) hold the format
    version, the **input fingerprint** (sha256 over everything that determines the result: the satellites'
    SGP4 elements and gravity model, the sample times, the grid's cell and row arrays, the per-satellite
    requirement arrays, the positions method and node step, the refine flag, the software version and the
    chunk bounds), the fingerprint of each of those parts (so a refusal names what differs), the chunk
    bounds, the status (``running`` / ``finishing`` / ``complete``) and a log of the runs (chunks
    computed and loaded by each).  Attribute updates are written to a temporary file and renamed over
    ``.zattrs`` (atomic).
``run.zarr/partial/c000012/``
    one Zarr group per finished chunk with arrays ``state`` (int64 ``(n_out * n_cells, N_FIELDS)``),
    ``row_cov`` (int32 ``(n_out, n_rows, n_chunk)``) and, for point grids, ``siv`` (int16
    ``(n_out, n_chunk, n_cells)``).  A chunk is written under a hidden temporary name
    (``.c000012.<random>.tmp``), flushed to disk and renamed into place, so a kill leaves only whole chunks
    (a leftover temporary is removed on resume).
``run.zarr/`` (root: ``.zgroup``, ``.zattrs``, ``.zmetadata``, one folder per variable)
    the final Dataset, as :func:`constellation.io.write_dataset` encodes it, present once the run is
    complete.  It is written to a temporary store inside ``run.zarr`` and moved in entry by entry between
    two status changes (``finishing`` then ``complete``, each an atomic rename of ``.zattrs``), so the
    status is the commit record: :func:`constellation.io.read_dataset` reads the store only when it says
    ``complete`` and otherwise raises "incomplete run, resume it"; a run killed while finishing simply
    finishes again on resume (every chunk is already there).

The partial results stay in the store after completion (their size: about ``192 B x n_out x n_cells``
per chunk before compression), so a finished store can be finished again (e.g. with the other
``window_edges`` rule) without recomputing; delete ``run.zarr/partial`` to drop them, after which the store
is an ordinary result store.

A store made from different inputs is refused with a ValueError naming the parts that differ, never mixed;
a resumed run keeps the store's own chunk bounds (the result does not depend on the chunking), so resuming
with a different ``chunk_steps`` (or with or without a progress bar in the CLI) is fine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomic import fsync_dir, fsync_path
from .formats import ALL_CHUNKS, missing_chunks

if TYPE_CHECKING:  # the engine is imported where a run needs it: reading a store's status stays light
    from .engine import Assembler, RunPlan

__all__ = ["run_checkpointed", "with_bounds", "write_final", "fingerprint", "check_complete", "store_info",
           "IncompleteRunError"]

_KEY = "constellation_checkpoint"
_VERSION = 1
_PARTIAL = "partial"
#: Seconds to sleep after writing each chunk: a test hook that spaces chunk writes so a test can kill the
#: run deterministically between two chunks.  Never set outside tests.
_SLEEP_ENV = "CONSTELLATION_CHECKPOINT_TEST_SLEEP_S"


class IncompleteRunError(ValueError):
    """A checkpoint store whose run has not finished (read it after resuming the run)."""


# -- fingerprint ---------------------------------------------------------------------------------------

def _h(*items: Any) -> str:
    h = hashlib.sha256()
    for x in items:
        if isinstance(x, np.ndarray):
            a = np.ascontiguousarray(x)
            h.update(f"array:{a.dtype.str}:{a.shape}:".encode())
            if a.dtype.kind == "O":
                h.update(json.dumps([str(v) for v in a.ravel()]).encode())
            else:
                h.update(a.tobytes())
        else:
            h.update(f"{type(x).__name__}:{x!r};".encode())
    return h.hexdigest()


_SATREC_FIELDS = ("satnum", "jdsatepoch", "jdsatepochF", "bstar", "ndot", "nddot", "ecco", "argpo", "inclo",
                  "mo", "no_kozai", "nodeo", "radiusearthkm", "xke", "j2", "j3", "j4")


def fingerprint(plan: RunPlan) -> dict[str, str]:
    """sha256 of each part of ``plan`` that determines a run's partial results, and of them all
    (``"all"``).  Parts: ``satellites`` (SGP4 elements, epoch, gravity model and operation mode of every
    satellite, in order), ``times``, ``grid`` (cell and row arrays), ``requirements`` (per-satellite
    service, masks and cones, services' ``min_sats``, labels), ``positions`` (method, node step, stencil),
    ``refine`` (edge refinement), ``software`` (package version, state layout) and ``chunks`` (bounds)."""
    from .kernels import reductions as red
    from .version import __version__

    recs = [s.satrec for s in plan.constellation] if len(plan.constellation) else []
    num = np.array([[float(getattr(r, f)) for f in _SATREC_FIELDS] for r in recs], np.float64).reshape(
        len(recs), len(_SATREC_FIELDS))
    modes = "".join(f"{r.operationmode}{r.method}" for r in recs)
    g = plan.grid
    grid_arrays = [np.asarray(getattr(g, a), dtype=float) for a in ("lat_deg", "lon_deg", "height_m", "area_km2")]
    rows = dict(cells=plan.rows.cells, rows_f=plan.rows.rows_f, rows_i=plan.rows.rows_i,
                r_min_km=plan.rows.r_min_km)
    rg = [np.asarray(rows[k]) for k in sorted(rows)]
    parts = dict(
        satellites=_h(num, modes),
        times=_h(np.asarray(plan.times).view(np.int64), np.asarray(plan.ticks)),
        grid=_h(g.kind, tuple(g.shape), *grid_arrays, *sorted(rows), *rg),
        requirements=_h("sats_f", "sats_i", plan.sats_f, plan.sats_i, np.asarray(plan.service_min_sats),
                        plan.service_labels, plan.with_any, plan.keep_sats_in_view,
                        *(() if plan.serv_sun is None else ("sun", plan.serv_sun, plan.sun)),
                        *(() if plan.gateways is None else ("gateways", plan.gateways, plan.sat_gateways))),
        positions=_h(plan.positions, float(plan.node_step_s), int(plan.stencil)),
        refine=_h(bool(plan.refine)),
        software=_h(__version__, red.N_FIELDS, red.TICKS_PER_S),
        chunks=_h(np.asarray(plan.bounds, np.int64)),
    )
    parts["all"] = _h(*(parts[k] for k in sorted(parts)))
    return parts


# -- store helpers -------------------------------------------------------------------------------------

def _chunk_name(k: int) -> str:
    return f"c{k:06d}"


def _meta_path(path: Path) -> Path:
    return path / _PARTIAL / ".zattrs"


def store_info(path: str | os.PathLike) -> dict | None:
    """The checkpoint record of the store at ``path`` (a dict), or None where it is not a checkpoint
    store.  Keys: ``version``, ``status``, ``fingerprint``, ``parts``, ``bounds``, ``n_chunks``,
    ``created``, ``runs`` (per run: ``loaded`` and ``computed`` chunk indices, ``finished``)."""
    mp = _meta_path(Path(path))
    try:
        with open(mp, encoding="utf-8") as f:
            attrs = json.load(f)
    except (FileNotFoundError, NotADirectoryError, ValueError, RecursionError):  # (JSON, UTF-8 errors)
        return None
    info = attrs.get(_KEY) if isinstance(attrs, dict) else None
    return info if isinstance(info, dict) else None


def _write_meta(path: Path, info: dict) -> None:
    """Replace the checkpoint record atomically (temporary file, fsync, rename)."""
    mp = _meta_path(path)
    tmp = mp.with_name(f".zattrs.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({_KEY: info}, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, mp)
    fsync_dir(mp.parent)


def _done_chunks(path: Path, n_chunks: int) -> set[int]:
    """Indices of the chunks whose group is in place; removes leftovers of interrupted chunk writes."""
    done = set()
    for p in (path / _PARTIAL).iterdir():
        name = p.name
        if name.startswith(".c") and name.endswith(".tmp"):
            shutil.rmtree(p, ignore_errors=True)
        elif len(name) == 7 and name[0] == "c" and name[1:].isdigit() and p.is_dir():
            k = int(name[1:])
            if k >= n_chunks:
                raise ValueError(f"checkpoint store {str(path)!r}: chunk {name} is beyond its {n_chunks} chunks "
                                 f"(the store is damaged)")
            done.add(k)
    return done


def _write_chunk(path: Path, k: int, state: np.ndarray, row_cov: np.ndarray, siv: np.ndarray | None) -> None:
    import zarr

    part = path / _PARTIAL
    tmp = part / f".{_chunk_name(k)}.{secrets.token_hex(4)}.tmp"
    try:
        g = zarr.open_group(str(tmp), mode="w-", zarr_format=2)
        arrays = dict(state=state, row_cov=row_cov)
        if siv is not None:
            arrays["siv"] = siv
        for name, a in arrays.items():
            a = np.ascontiguousarray(a)
            g.create_array(name, data=a, chunks=a.shape if a.size else None, config={"write_empty_chunks": True})
        g.attrs[ALL_CHUNKS] = True  # a chunk file missing from this chunk's arrays is damage, not zeros
        fsync_path(tmp)
        os.rename(tmp, part / _chunk_name(k))
        fsync_dir(part)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pause = os.environ.get(_SLEEP_ENV)
    if pause:
        time.sleep(float(pause))


def _read_chunk(path: Path, plan: RunPlan, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The stored partial results of chunk ``k``; a chunk that cannot be read back whole (a damaged or
    missing array, metadata that is not JSON, bytes the codec rejects) is a ValueError naming the store and
    the chunk, and saying how to recover (its folder removed, a resumed run computes it again)."""
    try:
        return _read_chunk_arrays(path, plan, k)
    except MemoryError:
        raise
    except Exception as exc:
        if isinstance(exc, ValueError) and str(path) in str(exc):
            raise
        folder = path / _PARTIAL / _chunk_name(k)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"checkpoint store {str(path)!r}: chunk {_chunk_name(k)} is damaged and cannot be read "
                         f"({type(exc).__name__}: {detail}); remove the folder {str(folder)!r} and resume: the "
                         f"run computes that chunk again") from exc


def _read_chunk_arrays(path: Path, plan: RunPlan, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    import zarr

    from .kernels import reductions as red

    folder = path / _PARTIAL / _chunk_name(k)
    g = zarr.open_group(str(folder), mode="r", zarr_format=2)
    gone = missing_chunks(folder) if g.attrs.get(ALL_CHUNKS) else []
    if gone:
        raise FileNotFoundError(f"chunk file{'s' if len(gone) > 1 else ''} {', '.join(gone)} missing")
    a, b = plan.bounds[k]
    state = np.ascontiguousarray(g["state"][...], dtype=np.int64)
    row_cov = np.asarray(g["row_cov"][...])
    siv = np.asarray(g["siv"][...]) if plan.keep_sats_in_view else None
    want = (plan.n_out * plan.n_cells, red.N_FIELDS)
    if state.shape != want or row_cov.shape != (plan.n_out, plan.n_rows, b - a) or (
            siv is not None and siv.shape != (plan.n_out, b - a, plan.n_cells)):
        raise ValueError(f"checkpoint store {str(path)!r}: chunk {_chunk_name(k)} has the wrong shape "
                         f"(the store is damaged); remove the folder "
                         f"{str(path / _PARTIAL / _chunk_name(k))!r} and resume: the run computes it again")
    return state, row_cov, siv


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on the store for one run (``partial/.lock``, ``flock``: released by the
    system when the process ends, however it ends), so two runs never write one store at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): one run per store is up to the user
        yield
        return
    fh = open(path / _PARTIAL / ".lock", "a")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ValueError(f"checkpoint store {str(path)!r} is in use by another running process") from None
        yield
    finally:
        fh.close()


def with_bounds(plan: RunPlan, bounds: list) -> RunPlan:
    """A copy of ``plan`` cut into the chunks ``bounds`` (``[(start, stop), ...]``), or ``plan`` itself when
    they do not tile its window (a stored run's bounds that do not fit: the fingerprint comparison then says
    what differs).  The result does not depend on the chunking."""
    bounds = [(int(a), int(b)) for a, b in bounds]
    n_t = int(plan.times.size)
    ok = bool(bounds) and bounds[0][0] == 0 and bounds[-1][1] == n_t and all(
        a < b for a, b in bounds) and all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))
    if not ok:
        return plan  # not this window's chunks: the fingerprint comparison will say what differs
    return dataclasses.replace(plan, bounds=bounds)


def _create(path: Path, plan: RunPlan, fp: dict) -> dict:
    """Make a new store at ``path`` (built under a temporary name, then renamed into place)."""
    import zarr

    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot create {str(path)!r}: folder {str(parent)!r} does not exist")
    tmp = parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    info = dict(version=_VERSION, status="running", fingerprint=fp["all"], parts=fp,
                bounds=[list(b) for b in plan.bounds], n_chunks=len(plan.bounds),
                created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), runs=[])
    try:
        tmp.mkdir()
        zarr.open_group(str(tmp / _PARTIAL), mode="w-", zarr_format=2)
        _write_meta(tmp, info)
        os.rename(tmp, path)
        fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info


def _open(path: Path, plan: RunPlan, resume: bool) -> tuple[RunPlan, dict]:
    """Check or create the store; return the plan cut into the store's chunks and its record."""
    if path.exists() or path.is_symlink():
        if not resume:
            raise ValueError(f"{str(path)!r} already exists: pass resume=True (--resume) to continue the run "
                                  f"stored there, or remove it to start again")
        info = store_info(path)
        if info is None:
            raise ValueError(f"cannot resume {str(path)!r}: it is not a coverage checkpoint store (no "
                             f"{_PARTIAL}/.zattrs with a {_KEY!r} record); remove it or choose another output")
        if info.get("version") != _VERSION:
            raise ValueError(f"cannot resume {str(path)!r}: checkpoint format {info.get('version')!r}, this "
                             f"version reads {_VERSION}")
        plan = with_bounds(plan, info.get("bounds", []))
        fp = fingerprint(plan)
        if fp["all"] != info.get("fingerprint"):
            stored = info.get("parts", {})
            differ = [k for k in fp if k != "all" and stored.get(k) != fp[k]]
            raise ValueError(f"cannot resume {str(path)!r}: it holds a run made from different inputs (they "
                             f"differ in: {', '.join(differ) or 'the fingerprint'}); refusing to mix them.  "
                             f"Use another output, or remove the store to start again")
        return plan, info
    return plan, _create(path, plan, fingerprint(plan))


# -- running -------------------------------------------------------------------------------------------

def run_checkpointed(plan: RunPlan, path: str | os.PathLike, resume: bool = False, progress: bool = False,
                     client: Any = None) -> dict:
    """Run ``plan`` through the checkpoint store at ``path``: the serial driver's dict (``state``,
    ``row_cov``, ``siv``, ...), bit-identical to it.

    Without ``resume`` the store must not exist.  With ``resume`` an existing store must come from the
    same inputs (else ValueError naming what differs); its finished chunks are loaded, never recomputed.
    Chunks are folded in time order as soon as their predecessors are, so memory holds one whole-window
    state plus a chunk (serially; with ``client``, chunks computed on the cluster are written as they
    arrive and folded when their turn comes).
    """
    path = Path(path)
    with _store_errors(path):
        plan, info = _open(path, plan, resume)
        with _locked(path):
            return _run_locked(plan, path, info, progress, client)


@contextlib.contextmanager
def _store_errors(path: Path):
    """Name the store in an I/O error (a full disk, a file-size limit, a read-only folder): the chunks
    written before it stay whole in the store, and the run resumes from them once the cause is fixed."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None or str(path) in str(exc) or isinstance(exc, (FileNotFoundError, FileExistsError)):
            raise
        more = (" (its finished time chunks are kept: free space, then resume the run with resume=True or "
                "--resume)") if (path / _PARTIAL).is_dir() else ""
        raise type(exc)(exc.errno, f"cannot write checkpoint store {str(path)!r}: "
                                   f"{exc.strerror or exc}{more}") from exc


def _run_locked(plan: RunPlan, path: Path, info: dict, progress: bool, client: Any) -> dict:
    from .engine import Assembler, chunk_state

    n = len(plan.bounds)
    done = _done_chunks(path, n)
    if info.get("status") != "running":
        info["status"] = "running"  # finishing again: the old final Dataset is no longer the record
        _write_meta(path, info)
    computed: list[int] = []
    asm = Assembler(plan)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, initial=len(done), desc="coverage", unit="chunk")
    try:
        if client is None:
            for k in range(n):
                if k in done:
                    asm.add(k, *_read_chunk(path, plan, k))
                    continue
                state, row_cov, siv = chunk_state(plan, k)
                _write_chunk(path, k, state, row_cov, siv)
                computed.append(k)
                asm.add(k, state, row_cov, siv)
                if bar is not None:
                    bar.update(1)
        else:
            _run_on_client(plan, path, client, done, asm, computed, bar)
    finally:
        if bar is not None:
            bar.close()
    info = store_info(path) or info
    info.setdefault("runs", []).append(dict(
        finished=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), loaded=sorted(done),
        computed=computed))
    _write_meta(path, info)
    return asm.result()


def _run_on_client(plan: RunPlan, path: Path, client: Any, done: set, asm: Assembler, computed: list,
                   bar: Any) -> None:
    from .distributed import chunk_task, require_distributed, send_plan

    distributed = require_distributed()
    missing = [k for k in range(len(plan.bounds)) if k not in done]
    plan_f = send_plan(client, plan) if missing else None
    futures = {client.submit(chunk_task, plan_f, k, pure=False, priority=-k): k for k in missing}
    held: dict[int, tuple] = {}

    def fold_ready() -> None:
        while asm.next_k < len(plan.bounds):
            k = asm.next_k
            if k in held:
                asm.add(k, *held.pop(k))
            elif k in done:
                asm.add(k, *_read_chunk(path, plan, k))
            else:
                return

    fold_ready()
    for fut, item in distributed.as_completed(futures, with_results=True):
        k = futures.pop(fut)
        state, (row_cov, siv, _, _) = item
        _write_chunk(path, k, state, row_cov, siv)
        computed.append(k)
        held[k] = (np.ascontiguousarray(state, dtype=np.int64), row_cov, siv)
        if bar is not None:
            bar.update(1)
        fold_ready()
    del plan_f
    fold_ready()


# -- the final Dataset ---------------------------------------------------------------------------------

def write_final(path: str | os.PathLike, ds) -> Path:
    """Store the finished run's Dataset ``ds`` at the root of the checkpoint store ``path`` and mark the
    run complete (see the module notes: the status record is switched to ``complete`` last, atomically).
    :func:`constellation.io.read_dataset` then reads ``ds`` back exactly."""
    path = Path(path)
    if store_info(path) is None:
        raise ValueError(f"{str(path)!r} is not a coverage checkpoint store")
    if _PARTIAL in ds.variables:
        raise ValueError(f"a variable named {_PARTIAL!r} would collide with the store's partial results")
    with _store_errors(path), _locked(path):
        _write_final_locked(path, ds)
    return path


def _write_final_locked(path: Path, ds) -> None:
    from .formats import encode_dataset, write_zarr

    info = store_info(path)
    n = int(info.get("n_chunks", 0))
    have = len(_done_chunks_readonly(path, n))
    if have != n:
        raise ValueError(f"cannot finish {str(path)!r}: {have} of its {n} time chunks are done; resume the run")
    tmp = path / f".final.{secrets.token_hex(4)}.tmp"
    try:
        write_zarr(encode_dataset(ds), str(tmp))
        fsync_path(tmp)
        info["status"] = "finishing"
        _write_meta(path, info)
        for p in list(path.iterdir()):
            if p.name != _PARTIAL and p != tmp:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        # the consolidated metadata goes in last, so a reader never finds it before the variables
        entries = sorted(tmp.iterdir(), key=lambda p: p.name == ".zmetadata")
        for p in entries:
            os.rename(p, path / p.name)
        fsync_dir(path)
        info["status"] = "complete"
        info["completed"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        _write_meta(path, info)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_complete(path: str | os.PathLike) -> None:
    """Raise :class:`IncompleteRunError` where ``path`` is a checkpoint store whose run has not finished
    (nothing happens for any other path).  :func:`constellation.io.read_dataset` calls this."""
    info = store_info(path)
    if info is None or info.get("status") == "complete":
        return
    n = int(info.get("n_chunks", 0))
    try:
        k = len(_done_chunks_readonly(Path(path), n))
    except OSError:
        k = 0
    raise IncompleteRunError(f"{str(path)!r} is an incomplete coverage run ({k} of {n} time chunks done, status "
                             f"{info.get('status')!r}): resume it (coverage(..., checkpoint=path, resume=True) "
                             f"or 'constellation coverage ... --output {path} --resume') before reading it")


def _done_chunks_readonly(path: Path, n: int) -> list[int]:
    return [int(p.name[1:]) for p in (path / _PARTIAL).iterdir()
            if len(p.name) == 7 and p.name[0] == "c" and p.name[1:].isdigit() and int(p.name[1:]) < n]
