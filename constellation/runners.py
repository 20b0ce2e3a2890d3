"""Runners of a coverage plan (:class:`constellation.engine.RunPlan`): serially in this process
(:func:`run_serial`), through a checkpoint store (:mod:`constellation.checkpoint`) or on a dask cluster
(:mod:`constellation.distributed`); :func:`run_plan` picks one.  Every runner returns the dict of
:meth:`constellation.engine.Assembler.result`, bit-identical whichever ran it.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .engine import Assembler, RunPlan, chunk_state, make_plan, stream_positions

__all__ = ["run_serial", "run_plan", "COMPUTING"]

#: Set once a runner has its plan and starts on the chunks (and never cleared).  From then on this process
#: mostly waits for kernels that release the GIL, so other Python work slows the run least: the command line
#: loads the libraries the result needs (xarray, the NetCDF writer) from then on, not beside the plan's own
#: Python work (:func:`constellation.cli._common.import_in_background`).
COMPUTING = threading.Event()


def run_serial(sats, times, grid, *, min_elevation_deg, half_angle_deg, min_sats, requirements, refine_edges,
               chunk_steps, progress, want_siv, positions="hermite", min_sun_elevation_deg=None,
               max_sun_elevation_deg=None, gateways=None, gateway_min_elevation_deg=None, nadir="geocentric"):
    plan = make_plan(sats, times, grid, min_elevation_deg=min_elevation_deg, half_angle_deg=half_angle_deg,
                     min_sats=min_sats, requirements=requirements, refine_edges=refine_edges,
                     chunk_steps=chunk_steps, want_siv=want_siv, positions=positions,
                     min_sun_elevation_deg=min_sun_elevation_deg, max_sun_elevation_deg=max_sun_elevation_deg,
                     gateways=gateways, gateway_min_elevation_deg=gateway_min_elevation_deg, nadir=nadir)
    asm = Assembler(plan)
    COMPUTING.set()
    spare = None
    # one position buffer for the whole run: two lead rows (the samples before the chunk: the edge
    # refinement between the last of them and the chunk's first sample reads its positions), then the chunk
    n_max = max(b - a for a, b in plan.bounds)
    buf = np.empty((2 + n_max, len(plan.constellation), 3))

    def slot(k):
        a, b = plan.bounds[k]
        return buf[2:2 + b - a]

    for k, pos in stream_positions(plan, progress, slot):
        a, b = plan.bounds[k]
        if pos.base is not buf:
            buf[2:2 + b - a] = pos
        n_lead = min(2, a)
        pos = buf[2 - n_lead:2 + b - a]
        part, row_cov, siv = chunk_state(plan, k, pos, n_lead, out=spare)
        asm.add(k, part, row_cov, siv)
        if part is not asm.state:
            spare = part  # the accumulator keeps the first chunk's buffer; later parts reuse this one
        buf[:2] = pos[-2:].copy() if pos.shape[0] >= 2 else buf[1:3].copy()
    return asm.result()


def run_plan(plan: RunPlan, *, client: Any = None, checkpoint: Any = None, resume: bool = False,
             progress: bool = False, rechunk: bool = True) -> dict:
    """Run ``plan`` on a dask cluster (``client``), through a checkpoint store (``checkpoint``) or both;
    with ``rechunk`` (no chunk size chosen by the caller) a new run on a cluster is cut into about five
    chunks per worker thread, the last rounds shorter (:func:`constellation.distributed.dask_bounds`).
    The dispatch behind :func:`constellation.coverage`."""
    from .checkpoint import run_checkpointed, with_bounds  # (a serial run never needs them)

    COMPUTING.set()

    if client is not None:
        from . import distributed as dist

        dist.require_distributed()
        if rechunk:
            plan = with_bounds(plan, dist.dask_bounds(plan, sum(client.nthreads().values())))
    if checkpoint is None:
        if client is None:
            raise ValueError("run_plan needs a client or a checkpoint")
        from .distributed import run_dask

        return run_dask(plan, client, progress=progress)  # (it sends the plan before resolving it)
    return run_checkpointed(plan.resolved(), checkpoint, resume=resume, progress=progress, client=client)
