"""Coverage on a dask cluster: time chunks computed on the workers, reduced with the reductions' combine.

:func:`run_dask` runs one :class:`constellation.engine.RunPlan` on a ``distributed.Client``:

1. the plan is pickled once on the client and its bytes are sent to every worker once (:func:`send_plan`,
   a :class:`PlanBlob`); it holds the satellites' SGP4 elements (with the numba SGP4's coefficient rows),
   the sample times, the grid's row geometry and the per-satellite requirement; each worker unpickles it
   on its first chunk (the SGP4 models themselves only if something there needs them: the numba tables
   suffice for near-Earth satellites) and keeps its own :class:`constellation.propagation.ItrsWindow`
   cached on it, so the TEME -> ITRS matrices and the Hermite node tables are built once per worker, not
   once per chunk.  The plan leaves before its Hermite node step is chosen (a sample of SGP4 in a thread
   on the client, :attr:`constellation.engine.RunPlan.pending`); the step follows with the chunk tasks;
2. one task per time chunk calls :func:`constellation.engine.chunk_state` (positions included, with the
   two lead samples before the chunk), a module-level function that workers import; its numba kernels
   come from the on-disk cache (:data:`constellation.kernels.CACHE`), so each worker process compiles
   nothing it already has and loads each kernel once;
3. the chunk states, ``(n_out * n_cells, N_FIELDS)`` int64 each, are joined on the workers by a binary
   tree of :func:`constellation.kernels.reductions.combine` tasks (adjacent chunks only: the combine is
   associative but not commutative), the final round's chunks folded in one by one after it
   (:func:`_join_all`), so only the final state travels back, plus each chunk's small
   covered-cells-per-row series ``(n_out, n_rows, n_chunk)`` int32 and (point grids) satellites in view;
4. :class:`constellation.engine.Assembler` receives the final state as if it were one chunk spanning the
   window and the per-chunk series in order, and gives the same dict as the serial driver.

Every number in the state is an exact integer (microsecond ticks, squared gaps in three integer parts) and
positions are bit-identical whatever block computes them, so the result is bit-identical to the
single-process run for any chunking and any tree shape.

Sizes, for planning many machines (``n_out`` services, ``n_cells`` cells, ``n_rows`` grid rows): each
worker receives the plan once (about ``1 kB x n_sat`` for the SGP4 elements and requirement arrays, plus
``~120 B x n_cells`` of row geometry and ``8 B x n_time`` of ticks), then only a chunk index per task;
each chunk produces a state of ``192 B x n_out x n_cells`` (24 int64 fields) that stays on the worker
until combined, and sends back ``4 B x n_out x n_rows x n_chunk`` of row series.  Tree combines move one
state between workers per join (``log2(n_chunks)`` levels), so the traffic is about
``n_chunks x 192 B x n_out x n_cells`` in total, independent of the number of satellites.
:func:`transfer_sizes` measures these for a plan.

Cluster settings: :data:`CLUSTER_CONFIG` turns off the worker's statistical profiler and slows its
monitors (coverage chunks are CPU-bound, so on a small machine those background loops otherwise take a
few percent of every worker's core), and starts workers without dask's malloc trim setting, which made
every chunk's arrays page-fault in afresh (start the cluster inside ``dask.config.set(CLUSTER_CONFIG)``).

dask is an optional dependency (extra ``dask``): it is imported only here, when a client is given.
"""

from __future__ import annotations

import copyreg
import dataclasses
import pickle
import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sgp4.api import WGS72, WGS72OLD, WGS84, Satrec, SatrecArray

from .checks import whole
from .engine import Assembler, RunPlan, chunk_positions, chunk_state
from .kernels import reductions as red
from .propagation import adopt_sgp4_tables, cached_sgp4_tables
from .satellite import Constellation, Satellite

__all__ = ["run_dask", "chunk_task", "PlanBlob", "send_plan", "dask_chunk_steps", "dask_bounds", "with_chunk_steps",
           "transfer_sizes", "require_distributed", "CLUSTER_CONFIG"]

#: Chunks per worker thread that :func:`dask_chunk_steps` aims for: the balance between load balance (more,
#: shorter chunks) and per-chunk overhead (each chunk adds a join of two states, often moved between
#: workers, and a scheduler round trip); the runs that chose it are in ``benchmarks/results/2026-11-27-distributed.md``.
CHUNKS_PER_THREAD = 5

#: Final rounds of chunks (one chunk per worker thread each) that :func:`dask_bounds` halves in length,
#: round after round, so that threads finish close together.
TAPER_ROUNDS = 2

#: dask settings for clusters that run coverage chunks (CPU-bound tasks of seconds each, one per core):
#:
#: * the worker's statistical profiler (a stack sample every 10 ms) is off, and the memory monitor (every
#:   100 ms), system monitor (500 ms) and event-loop tick check (20 ms) run less often: these background
#:   loops are cheap on a big machine, but on a few cores their CPU comes out of the chunks;
#: * worker processes start without dask's ``MALLOC_TRIM_THRESHOLD_=65536`` (its
#:   ``distributed.nanny.pre-spawn-environ``).  Setting any glibc malloc threshold turns off glibc's
#:   adaptive mmap threshold, so every array over 128 kB - a chunk's positions and state, each kernel
#:   block's geometry and satellite table, the row kernel's per-row buffers - is mapped fresh from the
#:   kernel and page-faulted in, then unmapped when it is freed; the chunks' memory is the same either
#:   way;
#: * the scheduler sends a worker thread one chunk at a time (``distributed.scheduler.worker-saturation``
#:   1.0 instead of dask's 1.1, which rounds up to two tasks for a one-thread worker): with two in hand, a
#:   worker that was late can take both chunks of the final round while the other worker sits idle.
#:
#: What each setting measured is in ``benchmarks/results/2026-11-27-distributed.md``.
#:
#: Use them when the cluster starts: ``with dask.config.set(CLUSTER_CONFIG): cluster = LocalCluster(...)``
#: (worker processes take the configuration and environment they are started with; for ``dask worker`` on
#: the command line, leave ``MALLOC_TRIM_THRESHOLD_`` unset in its environment).
CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "1s",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.scheduler.worker-saturation": 1.0,
}


# -- sending SGP4 models to workers --------------------------------------------------------------------
#
# python-sgp4's compiled ``Satrec`` cannot be pickled, and most of its fields are read-only, so a model is
# sent as the arguments of the ``sgp4init`` call that rebuilds it (gravity model, operation mode, epoch and
# the mean elements), plus the writable metadata (exact epoch as two Julian-date parts, catalogue text,
# element-set fields).  A TLE-made model was initialised with epoch ``(jd + jdF) - 2433281.5`` and one made
# by ``Satrec.sgp4init`` with ``(jd - 2433281.5) + jdF``; the two can differ in the last bit, so both are
# tried and the one whose rebuilt model matches the original in every readable field and in its positions
# and velocities at five times (-1 to +7 days), bit for bit, is sent.  A model that no candidate reproduces
# is refused (pickle raises), never sent approximately.  The check is made once per model object (cached by
# id, with the object kept alive); a model rebuilt on a worker remembers its arguments, so passing the plan
# on from worker to worker (dask's broadcast) costs no check.

_GRAVITY = (WGS72, WGS84, WGS72OLD)
_META = ("satnum_str", "classification", "intldesg", "epochyr", "epochdays", "revnum", "elnum", "ephtype",
         "jdsatepoch", "jdsatepochF")
_CHECK_DAYS = np.array([0.0, -1.0, 0.5, 1.0, 7.0])
#: fields that the last propagation overwrites (not part of the model)
_TRANSIENT = frozenset(("t", "error", "am", "em", "im", "Om", "om", "mm", "nm"))
#: every readable data field of a Satrec, but the transient ones
_FIELDS = tuple(n for n in dir(Satrec) if not n.startswith("_") and n not in _TRANSIENT
                and not callable(getattr(Satrec(), n)))
#: verified rebuild arguments per model: id -> (model, args, meta); the model is kept so ids stay unique
_VERIFIED: dict[int, tuple] = {}
_VERIFIED_MAX = 1_000_000


def _bits(v: Any) -> Any:
    return np.float64(v).view(np.int64).item() if isinstance(v, float) else v


def _model_fields(s: Satrec) -> tuple:
    return tuple(_bits(getattr(s, n)) for n in _FIELDS)


def _init_args(s: Satrec, which: int, epoch: float) -> tuple:
    return (which, s.operationmode, s.satnum, epoch, s.bstar, s.ndot, s.nddot, s.ecco, s.argpo, s.inclo,
            s.mo, s.no_kozai, s.nodeo)


def _rebuild_satrec(args: tuple, meta: tuple, remember: bool = False) -> Satrec:
    s = Satrec()
    s.sgp4init(*args)
    for name, v in zip(_META, meta):
        setattr(s, name, v)
    if remember:  # a model rebuilt from verified arguments is sent on (worker to worker) with the same ones
        _remember(s, args, meta)
    return s


def _remember(s: Satrec, args: tuple, meta: tuple) -> None:
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[id(s)] = (s, args, meta)


def _same_states(s: Satrec, r: Satrec) -> bool:
    """Whether ``s`` and ``r`` give the same error codes, positions and velocities, bit for bit, at a few
    times around ``s``'s epoch (through a SatrecArray, which copies the models: neither is touched)."""
    fr = s.jdsatepochF + _CHECK_DAYS
    e, p, v = SatrecArray([s, r]).sgp4(np.full(fr.shape, s.jdsatepoch), fr)
    return e[0].tobytes() == e[1].tobytes() and p[0].tobytes() == p[1].tobytes() and \
        v[0].tobytes() == v[1].tobytes()


def _verified_args(s: Satrec) -> tuple:
    """``(args, meta)`` that rebuild ``s`` exactly (checked once per model object, then cached)."""
    hit = _VERIFIED.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1], hit[2]
    ref = _model_fields(s)
    meta = tuple(getattr(s, name) for name in _META)
    epochs = dict.fromkeys(((s.jdsatepoch + s.jdsatepochF) - 2433281.5,
                            (s.jdsatepoch - 2433281.5) + s.jdsatepochF))
    for which in _GRAVITY:
        for epoch in epochs:
            args = _init_args(s, which, epoch)
            try:
                r = _rebuild_satrec(args, meta)
            except Exception:  # noqa: BLE001 - a candidate that cannot be built is simply not the one
                continue
            if _model_fields(r) == ref and _same_states(s, r):
                _remember(s, args, meta)
                return args, meta
    raise pickle.PicklingError(f"SGP4 model of catalogue number {s.satnum_str} cannot be rebuilt exactly on a "
                               f"worker (no sgp4init call reproduces it bit for bit)")


def _reduce_satrec(s: Satrec):
    return _rebuild_satrec, (*_verified_args(s), True)


class _SatelliteBytes:
    """The pickled satellites of a constellation, unpickled when called (the ``build`` of a
    :class:`DeferredConstellation`): a worker keeps one bytes object instead of thousands of SGP4 models
    and ``Satellite`` objects it does not need, and passes the same bytes on if the constellation is
    pickled again before its satellites were ever built."""

    def __init__(self, data: bytes):
        self.data = data

    def __call__(self) -> tuple:
        return pickle.loads(self.data)


#: guards the one-time build of a deferred constellation's satellites
_BUILD_LOCK = threading.Lock()


class DeferredConstellation(Constellation):
    """A :class:`~constellation.satellite.Constellation` of ``n`` satellites that ``build()`` makes the
    first time they are needed (an item, an iteration, any per-satellite metadata); its length, name and
    source are known at once.  ``build`` must return exactly ``n`` satellites.

    A plan's satellites are unpickled this way on a dask worker: a coverage chunk needs only the numba
    SGP4 tables that travel beside them, so the worker usually never builds the thousands of SGP4 models
    and ``Satellite`` objects (each adds objects for the garbage collector to track, whose full
    collections then come sooner).
    """

    def __init__(self, n: int, build: Callable[[], Iterable[Satellite]], name: str = "", source: str = ""):
        # (the satellites are not there yet: Constellation.__init__ would build them)
        self.__dict__.update(_n=int(n), _build=build, name=name, source=source, _satrec_array=None)

    def __getattr__(self, attr: str) -> Any:
        # called only while ``_sats`` is missing from the instance: build the satellites then
        if attr != "_sats" or "_build" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        with _BUILD_LOCK:
            d = self.__dict__
            if "_sats" not in d:
                sats = tuple(d["_build"]())
                if len(sats) != d["_n"]:
                    raise ValueError(f"deferred constellation: expected {d['_n']} satellites, built {len(sats)}")
                d["_sats"] = sats
                del d["_build"]
            return d["_sats"]

    def __len__(self) -> int:
        d = self.__dict__
        return len(d["_sats"]) if "_sats" in d else d["_n"]


def _rebuild_constellation(state: dict, tables: tuple | None = None, n: int | None = None,
                           sats: bytes | None = None) -> Constellation:
    # (without ``sats``, ``state`` holds the satellites themselves)
    c = Constellation.__new__(Constellation) if sats is None else DeferredConstellation(n, _SatelliteBytes(sats))
    c.__dict__.update(state)
    if tables is not None:
        adopt_sgp4_tables(c, *tables)
    return c


def _reduce_constellation(c: Constellation):
    # The satellites travel as one bytes object, unpickled on the worker only if something there needs
    # them (DeferredConstellation): a coverage chunk propagates with the numba SGP4's coefficient rows,
    # which travel beside them (exact floats: the worker's nodes are the same bits), so a worker neither
    # rebuilds the SGP4 models nor reruns python-sgp4's pure-Python ``sgp4init`` for near-Earth
    # satellites.  The cached SatrecArray (a compiled object that cannot be
    # pickled) is rebuilt where it is needed.
    d = c.__dict__
    build = d.get("_build")
    if "_sats" in d or not isinstance(build, _SatelliteBytes):
        data = pickle.dumps(tuple(c), protocol=pickle.HIGHEST_PROTOCOL)
    else:  # a deferred constellation never built here: pass its bytes on as they came
        data = build.data
    state = {k: (None if k == "_satrec_array" else v) for k, v in d.items() if k not in ("_sats", "_build", "_n")}
    tables = cached_sgp4_tables(c)
    return _rebuild_constellation, (state, None if tables is None else (tables.params, tables.near), len(c),
                                    data)


copyreg.pickle(Satrec, _reduce_satrec)
copyreg.pickle(Constellation, _reduce_constellation)
copyreg.pickle(DeferredConstellation, _reduce_constellation)


# -- running a plan ------------------------------------------------------------------------------------

def require_distributed():
    """Import and return ``distributed``, or raise an ImportError saying how to install it."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is installed in the dev environment
        raise ImportError("coverage(client=...) needs dask.distributed, an optional dependency: install it "
                          "with  pip install 'jinan-constellation[dask]'  (or  pip install "
                          "'dask[distributed]')") from exc
    return distributed


class PlanBlob:
    """A :class:`~constellation.engine.RunPlan` pickled once on the client, as it travels to the workers.

    dask sends bytes in a few milliseconds, but a plan object (thousands of SGP4 models, the grid's
    arrays) goes through its serialisation on every send, several times slower
    (``benchmarks/results/2026-11-27-distributed.md``).  Each process unpickles the bytes once, on first
    use (:meth:`plan`), and keeps the plan, with its cached position window, for all the chunks it runs.
    """

    def __init__(self, plan: RunPlan):
        self.data = pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)  # (a pending node step is left out)
        self.awaits_node_step = plan.pending is not None  # the step comes with each task (:meth:`plan`)
        self._plan = None if self.awaits_node_step else plan
        self._lock = threading.Lock()
        self._local = threading.local()

    def plan(self, late: dict | None = None) -> RunPlan:
        """The plan (unpickled here on first use, then kept).  A plan pickled while its node step was
        still being chosen (:attr:`RunPlan.pending`) needs that step's fields, ``late``
        (:meth:`RunPlan.position_fields` of the resolved plan), the first time."""
        with self._lock:
            if self._plan is None:
                plan = pickle.loads(self.data)
                if self.awaits_node_step:
                    if late is None:
                        raise ValueError("this plan was sent before its node step was chosen: pass late=")
                    plan = dataclasses.replace(plan, **late)
                self._plan = plan
            return self._plan

    def position_buffer(self) -> np.ndarray:
        """This thread's buffer for a chunk's positions (:func:`~constellation.engine.chunk_positions`'s
        ``out``), made on first use and kept as long as the blob: a worker runs chunk after chunk through
        it instead of allocating each chunk's positions afresh (for 10,000 satellites, 56 MB a chunk, mapped
        and page-faulted in anew each time, since glibc maps arrays that size outside its heap)."""
        plan = self.plan()
        n = 2 + max((b - a for a, b in plan.bounds), default=0)
        buf = getattr(self._local, "pos", None)
        if buf is None or buf.shape[0] < n:
            buf = self._local.pos = np.empty((n, len(plan.constellation), 3))
        return buf

    def __getstate__(self) -> dict:
        return {"data": self.data, "awaits_node_step": self.awaits_node_step}

    def __setstate__(self, state: dict) -> None:
        self.data = state["data"]
        self.awaits_node_step = state["awaits_node_step"]
        self._plan = None
        self._lock = threading.Lock()
        self._local = threading.local()


def send_plan(client: Any, plan: RunPlan) -> Any:
    """Put ``plan`` on every worker of ``client`` (as a :class:`PlanBlob`); returns its future."""
    return client.scatter(PlanBlob(plan), broadcast=True, hash=False)


def chunk_task(plan: RunPlan | PlanBlob, k: int, late: dict | None = None) -> tuple[np.ndarray, tuple]:
    """What a worker computes for chunk ``k``: ``(state, (row_cov, siv, first_fail, fail_code))``;
    ``late``: the node step's fields, for a plan sent before they were known (:meth:`PlanBlob.plan`).

    ``state`` is the chunk's reduction state (it stays on the worker for the combine tree); the second
    item is what travels back: the chunk's covered cells per row, satellites in view (point grids, else
    None) and the propagation failures the worker's window has seen so far (first failed node/time per
    satellite, -1 where none, and its SGP4 code), so the client can warn about decayed satellites as the
    serial run does.
    """
    buf = None
    if isinstance(plan, PlanBlob):
        blob, plan = plan, plan.plan(late)
        buf = blob.position_buffer()
    else:
        plan = plan.resolved()
    pos, n_lead = chunk_positions(plan, k, out=buf)
    state, row_cov, siv = chunk_state(plan, k, pos, n_lead)
    if len(plan.constellation):
        first, code = plan.window().failures()
    else:
        first, code = np.zeros(0, np.int64), np.zeros(0, np.uint8)
    return state, (row_cov, siv, first, code)


def _state_of(item: Any) -> np.ndarray:
    """The state of a chunk's ``(state, small)`` item, or a joined state as it is."""
    return item[0] if isinstance(item, tuple) else item


def _small_of(item: tuple) -> tuple:
    return item[1]


def _combine(left: Any, right: Any) -> np.ndarray:
    """Join two adjacent partial results (chunk items or joined states), left then right."""
    return red.combine(_state_of(left), _state_of(right))


def dask_chunk_steps(plan: RunPlan, n_threads: int) -> int:
    """Time steps per chunk for ``n_threads`` worker threads: :data:`CHUNKS_PER_THREAD` chunks per thread
    (fewer where a short window rounds the chunk length up), a chunk count that is a multiple of
    ``n_threads`` (so every thread gets the same number of chunks), and never longer chunks than the
    plan's own (memory-bounded) ones."""
    n_t = int(plan.times.size)
    n_threads = max(1, int(n_threads))
    auto = max(b - a for a, b in plan.bounds)
    n_chunks = max(CHUNKS_PER_THREAD * n_threads, -(-n_t // auto))
    n_chunks = -(-n_chunks // n_threads) * n_threads
    return int(max(1, -(-n_t // n_chunks)))


def dask_bounds(plan: RunPlan, n_threads: int) -> list[tuple[int, int]]:
    """Chunk bounds ``[(start, stop), ...]`` for ``n_threads`` worker threads: rounds of one chunk per
    thread, the last :data:`TAPER_ROUNDS` rounds each half as long as the round before, none longer than
    the plan's own chunks, :data:`CHUNKS_PER_THREAD` chunks per thread (more where the plan's chunks are
    shorter).  With one thread, or a window too short to taper, the chunks are equal
    (:func:`dask_chunk_steps`).

    Why the taper: chunk times vary by tens of percent on a busy machine, so threads reach the end at
    different times, and the thread that finishes last sets the end of the run while the others wait.
    Each thread takes the next chunk when it is free, so the wait is at most about the last chunk's
    length: halving rounds shrink it without adding chunks early in the run, where a long chunk costs
    nothing.  A third round of eighths shrinks it further but costs two more chunks and their joins
    (the runs are in ``benchmarks/results/2026-11-27-distributed.md``)."""
    n_t = int(plan.times.size)
    n_thr = max(1, int(n_threads))
    steps = dask_chunk_steps(plan, n_thr)
    uniform = [(i, min(i + steps, n_t)) for i in range(0, n_t, steps)]
    if n_thr == 1 or TAPER_ROUNDS < 1:
        return uniform
    auto = max(b - a for a, b in plan.bounds)
    # in units of the smallest (last) chunk: full rounds of 2**TAPER_ROUNDS, then 2**(TAPER_ROUNDS - 1) .. 1
    unit = 2 ** TAPER_ROUNDS
    taper = [unit >> (j + 1) for j in range(TAPER_ROUNDS)]
    n_full = max(1, CHUNKS_PER_THREAD - TAPER_ROUNDS)
    while -(-n_t * unit // (n_thr * (n_full * unit + sum(taper)))) > auto:
        n_full += 1
    weights = [unit] * (n_full * n_thr) + [w for w in taper for _ in range(n_thr)]
    total = sum(weights)
    if n_t < total:  # the last chunks would be under one step
        return uniform
    edges, acc = [0], 0
    for w in weights:
        acc += w
        edges.append((n_t * acc) // total)
    return [(edges[i], edges[i + 1]) for i in range(len(weights))]


def with_chunk_steps(plan: RunPlan, chunk_steps: int) -> RunPlan:
    """A copy of ``plan`` cut into chunks of ``chunk_steps`` samples (the result does not depend on it)."""
    s = whole(chunk_steps, "chunk_steps", low=1)
    n_t = int(plan.times.size)
    return dataclasses.replace(plan, bounds=[(i, min(i + s, n_t)) for i in range(0, n_t, s)])


def _tree(client, futures: list) -> Any:
    """Join adjacent partial results pairwise on the workers until one is left (the order is kept)."""
    level = list(futures)
    while len(level) > 1:
        nxt = [client.submit(_combine, level[i], level[i + 1], pure=False)
               for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _join_all(client, items: list, n_last: int) -> Any:
    """The join of all chunk ``items`` (futures of :func:`chunk_task`), in order: a tree over all but the
    last ``n_last``, which are then folded in one at a time.

    The last ``n_last`` chunks are the final round, running side by side while the tree over the others
    completes; folded in one by one, each joins as soon as it finishes, so when the last chunk of the run
    finishes one join is left (a tree over the final round would leave two or more)."""
    n_last = min(max(int(n_last), 0), len(items) - 1)
    total = _tree(client, items[:len(items) - n_last])
    for item in items[len(items) - n_last:]:
        total = client.submit(_combine, total, item, pure=False)
    return total


def run_dask(plan: RunPlan, client: Any, *, progress: bool = False) -> dict:
    """Run ``plan`` on the dask cluster of ``client`` (a ``distributed.Client``); return the dict the
    serial driver returns (``state``, ``row_cov``, ``siv``, ...), bit-identical to it.

    The plan's chunks are used as they are (see :func:`dask_chunk_steps` / :func:`with_chunk_steps` to
    cut them for a cluster).  A plan whose node step is still being chosen (:attr:`RunPlan.pending`, as
    :func:`constellation.coverage` makes them for a cluster) is pickled and sent first and
    resolved while it travels; the node step's few fields then go with each chunk task.  With
    ``progress``, a tqdm bar advances as chunks finish.
    """
    distributed = require_distributed()
    from .propagation import warn_failures

    n_chunks = len(plan.bounds)
    n_threads = sum(client.nthreads().values())
    plan_f = send_plan(client, plan)  # while a pending node step is chosen in its thread
    late = None
    if plan.pending is not None:
        plan = plan.resolved()
        late = plan.position_fields()
    items = [client.submit(chunk_task, plan_f, k, late, pure=False, priority=-k) for k in range(n_chunks)]
    smalls = [client.submit(_small_of, f, pure=False) for f in items]
    total = _join_all(client, items, n_threads)  # (a join reads the states out of the chunk items)
    del items  # the chunk items are released once joined and their small halves taken
    if progress:
        from tqdm.auto import tqdm

        with tqdm(total=n_chunks, desc="coverage", unit="chunk") as bar:
            for _ in distributed.as_completed(smalls):
                bar.update(1)
    small = client.gather(smalls)
    state = _state_of(client.gather(total))  # (one chunk: its own item)
    del total, smalls, plan_f

    # the combined state spans the whole window: fold it as the one chunk of a one-chunk plan
    whole = dataclasses.replace(plan, bounds=[(0, int(plan.times.size))])
    asm = Assembler(whole)
    row_cov = np.concatenate([s[0] for s in small], axis=2)
    siv = np.concatenate([s[1] for s in small], axis=1) if plan.keep_sats_in_view else None
    asm.add(0, np.ascontiguousarray(state, dtype=np.int64), row_cov, siv)

    if len(plan.constellation):
        never = np.iinfo(np.int64).max
        first = np.full(len(plan.constellation), never, np.int64)
        code = np.zeros(len(plan.constellation), np.uint8)
        for _, _, f, c in small:
            f = np.where(f < 0, never, f)
            new = f < first
            first[new], code[new] = f[new], c[new]
        if np.any(first != never):
            first = np.where(first == never, -1, first)
            win = plan.window()
            warn_failures(plan.constellation, first, code,
                          win.node_times if plan.positions == "hermite" else plan.times, stacklevel=4)
    return asm.result()


def transfer_sizes(plan: RunPlan) -> dict[str, int]:
    """Bytes that move in a :func:`run_dask` run of ``plan`` (pickled sizes, uncompressed):
    ``plan`` (sent once to each worker), ``state`` (one chunk's state: kept on its worker, moved once
    per tree join), ``row_cov`` (the per-chunk series sent back, largest chunk), ``n_chunks``."""
    n_chunk = max(b - a for a, b in plan.bounds)
    state = np.zeros((plan.n_out * plan.n_cells, red.N_FIELDS), np.int64)
    row = np.zeros((plan.n_out, plan.n_rows, n_chunk), np.int32)
    siv = (plan.n_out * n_chunk * plan.n_cells * 2) if plan.keep_sats_in_view else 0
    return dict(plan=len(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)),
                state=len(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)),
                row_cov=len(pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)) + siv,
                n_chunks=len(plan.bounds), n_sat=len(plan.constellation), n_cells=plan.n_cells,
                n_time=int(plan.times.size), n_out=plan.n_out)
