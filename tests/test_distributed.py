"""Coverage on a dask cluster (constellation.distributed): bit-identical to the single-process run on a
LocalCluster of 2 worker processes; chunks computed on their own and folded equal the streaming driver;
SGP4 models travel to workers exactly."""

from __future__ import annotations

import importlib
import pickle
import sys

import numpy as np
import pytest
from helpers import assert_bit_identical, data_file, sample_file

from constellation.api import Requirement, coverage
from constellation.design import jinan368
from constellation.grid import global_grid, points
from constellation.runners import run_serial
from constellation.timescale import time_range

distributed = pytest.importorskip("distributed")
from constellation import distributed as dist  # noqa: E402 - after the importorskip

cov = importlib.import_module("constellation.engine")  # the module (constellation.coverage is the function)
REQS = {"eo": Requirement(10.0, 30.0), "comm": Requirement(10.0), "nav": Requirement(5.0, None, 2)}


@pytest.fixture(scope="module")
def case():
    sats = jinan368()[::9]  # 41 satellites of all three groups
    assert len(sats) == 41 and set(sats.groups) == {"eo", "comm", "nav"}
    return sats, time_range("2026-01-01", duration="2h", step_s=60), global_grid(10.0)


@pytest.fixture(scope="module")
def client():
    import dask

    from constellation.distributed import CLUSTER_CONFIG

    # the settings the package recommends for coverage clusters (the results must not depend on them)
    with dask.config.set(CLUSTER_CONFIG), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                     worker_dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def test_cluster_config_names_real_dask_settings(client):
    """Every key of CLUSTER_CONFIG is one of dask's own settings (a misspelt key would be silently
    ignored), and the workers of a cluster started with it run with those values."""
    import copy

    import dask

    from constellation.distributed import CLUSTER_CONFIG

    assert CLUSTER_CONFIG["distributed.worker.profile.enabled"] is False
    defaults: dict = {}
    for d in dask.config.defaults:  # dask's and distributed's own defaults, not what this process set
        dask.config.update(defaults, copy.deepcopy(d))
    for key, value in CLUSTER_CONFIG.items():
        assert dask.config.get(key, config=defaults) != value  # KeyError for a name dask does not define
    seen = client.run(lambda: {k: dask.config.get(k) for k in CLUSTER_CONFIG})
    assert len(seen) == 2
    for values in seen.values():
        assert values == CLUSTER_CONFIG
    # dask's default puts MALLOC_TRIM_THRESHOLD_ in every worker's environment; these workers start without
    assert dask.config.get("distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_", config=defaults)
    env = client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(env.values()) == [None, None]
    # the scheduler (in this process, for a LocalCluster) hands out one chunk per worker thread at a time
    assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.WORKER_SATURATION) == 1.0


def test_cluster_run_is_bit_identical(case, client):
    sats, times, grid = case
    for kw in (dict(), dict(requirements=REQS, window_edges="exclude")):
        ref = coverage(sats, times, grid, **kw)
        got = coverage(sats, times, grid, client=client, **kw)
        assert_bit_identical(got, ref)
        assert float(ref["coverage_fraction"].max()) > 0  # a case with something to compare
    # a chunking of its own (7 chunks of 19 steps, 4 tree levels) and exact positions
    ref = coverage(sats, times, grid, positions="exact", requirements=REQS)
    got = coverage(sats, times, grid, positions="exact", requirements=REQS, client=client, chunk_steps=19)
    assert_bit_identical(got, ref)


def test_cluster_run_points_and_checkpoint(case, client, tmp_path):
    from constellation import io

    sats, times, _ = case
    sites = points([36.65, 39.47, -89.9, 0.0], [117.12, 75.99, 0.0, -170.0], names=["a", "b", "c", "d"])
    ref = coverage(sats, times, sites, requirements=REQS)
    got = coverage(sats, times, sites, requirements=REQS, client=client, chunk_steps=25)
    assert_bit_identical(got, ref)
    assert "sats_in_view" in got
    # the cluster also fills a checkpoint store, written as chunks come back in any order
    store = tmp_path / "run.zarr"
    got = coverage(sats, times, sites, requirements=REQS, client=client, chunk_steps=25, checkpoint=store)
    assert_bit_identical(got, ref)
    assert_bit_identical(io.read_dataset(store), ref)


def test_chunks_on_their_own_fold_to_the_streaming_result(case):
    """chunk_state(plan, k) for each k (positions computed per chunk, as a worker does), folded by the
    Assembler, equals the serial streaming driver bit for bit (Hermite and exact positions)."""
    sats, times, grid = case
    for positions in ("hermite", "exact"):
        kw = dict(min_elevation_deg=10.0, half_angle_deg=None, min_sats=1, requirements=REQS, refine_edges=True,
                  chunk_steps=17, want_siv=False, positions=positions)
        ref = run_serial(sats, times, grid, progress=False, **kw)
        plan = cov.make_plan(sats, times, grid, **kw)
        asm = cov.Assembler(plan)
        parts = {k: cov.chunk_state(plan, k) for k in reversed(range(len(plan.bounds)))}  # out of order
        for k in range(len(plan.bounds)):  # folded in order
            asm.add(k, *parts.pop(k))
        out = asm.result()
        assert len(plan.bounds) == 8
        np.testing.assert_array_equal(out["state"], ref["state"])
        np.testing.assert_array_equal(out["acf"], ref["acf"])


def test_plan_pickles_exactly(case):
    """The plan (with its SGP4 models) survives pickling: every satellite's model is rebuilt bit for bit
    (real catalogues, deep-space GNSS included), and a cached SatrecArray does not travel."""
    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid)
    plan.constellation.satrec_array()  # a cached compiled array must not break pickling
    back = pickle.loads(pickle.dumps(plan))
    assert back.bounds == plan.bounds and "_window" not in back.__dict__
    from constellation.elements import load

    for path in (sample_file("gps-ops_2022-02-04.txt"), sample_file("glo-ops_2022-02-04.txt"),
                 sample_file("beidou_2022-02-04.txt"), data_file("celestrak_stations_2020-06-25_omm.xml"),
                 data_file("celestrak_resource_2025-05-25_omm.json")):
        c = load(path)
        c2 = pickle.loads(pickle.dumps(c))
        jd = np.full(5, 2459615.5)
        fr = np.array([0.0, 0.25, 1.0, 3.0, 10.0])
        e1, r1, v1 = c.satrec_array().sgp4(jd, fr)
        e2, r2, v2 = c2.satrec_array().sgp4(jd, fr)
        assert np.array_equal(e1, e2) and r1.tobytes() == r2.tobytes() and v1.tobytes() == v2.tobytes(), path.name
        assert [s.satrec.satnum_str for s in c] == [s.satrec.satnum_str for s in c2]


def test_sgp4_tables_travel_with_the_constellation(case):
    """A pickled constellation carries the numba SGP4's coefficient rows when they were built, bit for bit
    what the receiving process would build itself, so its node positions are the same bits."""
    prop = importlib.import_module("constellation.propagation")

    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid)  # the Hermite error estimate builds the tables
    sent = prop.cached_sgp4_tables(plan.constellation)
    assert sent is not None and sent.near.size == len(plan.constellation)
    back = pickle.loads(pickle.dumps(plan))
    got = prop.cached_sgp4_tables(back.constellation)
    assert got is not None and got is not sent
    with prop._TABLE_CACHE_LOCK:
        del prop._TABLE_CACHE[id(back.constellation)]
    rebuilt = prop.sgp4_tables(back.constellation)
    assert got.params.tobytes() == rebuilt.params.tobytes()
    assert np.array_equal(got.near, rebuilt.near) and np.array_equal(got.deep, rebuilt.deep)
    np.testing.assert_array_equal(cov.chunk_positions(back, 0)[0], cov.chunk_positions(plan, 0)[0])
    with pytest.raises(ValueError, match="do not fit"):
        prop.adopt_sgp4_tables(back.constellation, got.params[:-1], got.near)


def test_plan_blob_unpickles_once(case):
    """The plan travels as bytes pickled once; the receiving side unpickles on first use and keeps it."""
    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid)
    blob = dist.PlanBlob(plan)
    assert blob.plan() is plan  # the sender's own copy is the plan itself
    back = pickle.loads(pickle.dumps(blob))
    assert len(pickle.dumps(blob)) < len(blob.data) + 200  # only the bytes travel, not the plan again
    got = back.plan()
    assert got is back.plan() and got is not plan
    s1, (r1, _, _, _) = dist.chunk_task(back, 0)
    s2, (r2, _, _, _) = dist.chunk_task(plan, 0)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(r1, r2)


def test_plan_sent_before_its_node_step_is_chosen(case):
    """On a cluster the plan is pickled and sent while its node step is chosen in a thread: the node
    step then comes with each chunk task, and the chunks equal those of the plan made in one go."""
    sats, times, grid = case
    ref = cov.make_plan(sats, times, grid)
    early = cov.make_plan(sats, times, grid, background=True)
    assert early.pending is not None
    with pytest.raises(RuntimeError, match="resolved"):
        early.window()
    blob = dist.PlanBlob(early)  # pickled now, perhaps before the thread is done
    assert pickle.loads(pickle.dumps(early)).pending is None  # the future never travels
    plan = early.resolved()
    assert plan.pending is None and plan.resolved() is plan
    assert plan.position_fields() == ref.position_fields() and ref.node_step_s > 0
    back = pickle.loads(pickle.dumps(blob))
    with pytest.raises(ValueError, match="late="):
        back.plan()
    for k in (0, len(ref.bounds) - 1):
        s1, (r1, _, _, _) = dist.chunk_task(back, k, plan.position_fields())
        s2, (r2, _, _, _) = dist.chunk_task(ref, k)
        s3, _ = dist.chunk_task(early, k)  # a pending plan given as it is waits for its node step
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(s3, s2)
        np.testing.assert_array_equal(r1, r2)


def test_worker_plan_leaves_the_sgp4_models_unbuilt(case):
    """On the receiving side the satellites stay one bytes object until something needs them: a chunk of
    near-Earth satellites propagates with the numba tables that travel beside them.  Built on first use,
    they are the sender's satellites, every SGP4 model field and attribute the same; pickled again
    unbuilt, the same bytes travel on."""
    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid, chunk_steps=23)
    back = pickle.loads(pickle.dumps(dist.PlanBlob(plan)))
    c = back.plan().constellation
    assert "_sats" not in c.__dict__ and len(c) == len(sats) and c.name == plan.constellation.name
    s1, (r1, _, _, _) = dist.chunk_task(back, 2)
    s2, r2, _ = cov.chunk_state(plan, 2)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(r1, r2)
    assert "_sats" not in c.__dict__  # the chunk needed no SGP4 model
    again = pickle.dumps(c)
    assert c.__dict__["_build"].data in again and "_sats" not in c.__dict__
    for got in (c, pickle.loads(again)):
        assert len(got) == len(sats) and list(got.names) == list(sats.names)
        for a, b in zip(got, sats):
            assert dist._model_fields(a.satrec) == dist._model_fields(b.satrec)
            assert (a.name, a.group, a.launched, a.source, a.object_id, a.extra) == \
                (b.name, b.group, b.launched, b.source, b.object_id, b.extra)
    assert "_sats" in c.__dict__ and "_build" not in c.__dict__


class _NowClient:
    """Runs each submitted call at once (for the shape of the join, without a cluster)."""

    def submit(self, fn, *args, **kwargs):
        return fn(*args)


def test_joins_fold_the_final_round_in_order(case):
    """However many chunks (one included) and however many are folded in after the tree, the join
    equals the chunks' states combined left to right."""
    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid, chunk_steps=13)
    items = [dist.chunk_task(plan, k) for k in range(len(plan.bounds))]
    for n in range(1, len(items) + 1):
        ref = items[0][0]
        for it in items[1:n]:
            ref = dist.red.combine(ref, it[0])
        for n_last in (0, 1, 2, 3, n + 4):
            np.testing.assert_array_equal(dist._state_of(dist._join_all(_NowClient(), items[:n], n_last)), ref)


def test_chunks_through_one_position_buffer(case):
    """A worker's chunks go through one position buffer per thread (the blob's); in any order, chunks of
    unequal length give what each chunk computed on its own gives."""
    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid, chunk_steps=23)  # 121 samples: the last chunk is shorter
    back = pickle.loads(pickle.dumps(dist.PlanBlob(plan)))
    buf = back.position_buffer()
    assert buf is back.position_buffer() and buf.shape == (2 + 23, len(sats), 3)
    for k in (3, 0, len(plan.bounds) - 1, 1, 4):
        s1, (r1, _, _, _) = dist.chunk_task(back, k)
        s2, r2, _ = cov.chunk_state(plan, k)
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(r1, r2)
    assert back.position_buffer() is buf
    with pytest.raises(ValueError, match="rows"):
        cov.chunk_positions(plan, 1, out=np.empty((10, len(sats), 3)))


@pytest.mark.parametrize("hours, threads", [(24, 2), (24, 3), (24, 8), (2, 2), (0.5, 4), (0.25, 4), (24, 1)])
def test_dask_bounds_taper_the_last_rounds(hours, threads):
    """Cluster chunks tile the window, none is longer than the plan's own, there are at least five per
    thread, and the last TAPER_ROUNDS rounds (one chunk per thread) each halve the chunk length; with
    one thread, or a window too short for the taper, the chunks are equal."""
    sats = jinan368()[::4]
    plan = cov.make_plan(sats, time_range("2026-01-01", duration=f"{hours * 60:g}min", step_s=30),
                         global_grid(10.0), chunk_steps=400)
    bounds = dist.dask_bounds(plan, threads)
    lengths = [b - a for a, b in bounds]
    n_t = plan.times.size
    assert bounds[0][0] == 0 and bounds[-1][1] == n_t
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1)) and min(lengths) >= 1
    assert max(lengths) <= 400
    n_taper = dist.TAPER_ROUNDS * threads
    if threads == 1 or n_t < threads * (4 * (dist.CHUNKS_PER_THREAD - 2) + 3):
        assert (threads, hours) in ((1, 24), (4, 0.25))  # the cases meant to take this branch
        assert len(set(lengths[:-1])) == 1  # equal chunks (the last takes the remainder)
        return
    assert dist.TAPER_ROUNDS == 2 and len(bounds) >= dist.CHUNKS_PER_THREAD * threads
    full, half, quarter = lengths[:-n_taper], lengths[-n_taper:-threads], lengths[-threads:]
    assert len(full) % threads == 0 and max(full) - min(full) <= 1, lengths
    assert all(0.5 * min(full) - 1 <= x <= 0.5 * max(full) + 1 for x in half), lengths
    assert all(0.25 * min(full) - 1 <= x <= 0.25 * max(full) + 1 for x in quarter), lengths


def test_chunk_steps_for_a_cluster(case):
    sats, times, grid = case
    plan = cov.make_plan(sats, times, grid)
    steps = dist.dask_chunk_steps(plan, 2)
    assert steps == 13  # 121 samples / (5 chunks x 2 threads), rounded up
    assert len(dist.with_chunk_steps(plan, steps).bounds) == 10
    sizes = dist.transfer_sizes(dist.with_chunk_steps(plan, steps))
    assert sizes["state"] >= plan.n_out * plan.n_cells * 24 * 8 and sizes["n_chunks"] == 10


def test_missing_dask_is_a_clear_error(case, monkeypatch):
    sats, times, grid = case
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"jinan-constellation\[dask\]"):
        coverage(sats, times, grid, client=object())
