"""Contacts: every window in which a satellite is above a ground station's own elevation mask.

:func:`contacts` is :func:`constellation.passes` over a :class:`~constellation.stations.StationNetwork`:
the stations are grouped by mask and each group is searched by the pass machinery of
:mod:`constellation.contacts` (coarse sampling at a tenth of a relative orbit with elevation rates, then
bracketed Newton refinement of every rise and set to ``tolerance_s``), so a contact's times are those
:func:`constellation.passes` gives for that satellite, station and mask (a test checks them to a microsecond).
:func:`downlink_ends` turns the table into, per satellite, the sorted ends of its contacts with any
station: what the data-latency figures of :mod:`constellation.imaging` use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .contacts import passes, window
from .satellite import as_constellation
from .stations import DEFAULT_MIN_ELEVATION_DEG, StationNetwork, as_network, china_network

__all__ = ["contacts", "downlink_ends", "CONTACT_COLUMNS"]

#: Columns of the table :func:`contacts` returns.
CONTACT_COLUMNS = ["satellite", "satellite_index", "catalog_number", "group", "station", "rise", "culmination",
                   "set", "max_elevation_deg", "duration_s", "rise_azimuth_deg", "set_azimuth_deg",
                   "rise_clipped", "set_clipped"]


def contacts(sats: Any, stations: Any = None, start: Any = None, stop: Any = None, *, duration: Any = None,
             min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG, dut1: Any = None,
             tolerance_s: float = 1e-3) -> pd.DataFrame:
    """Every contact of every satellite with every station of a network between two times.

    Parameters
    ----------
    sats : Constellation, Satellite, sgp4 Satrec, Skyfield EarthSatellite, or a list of them
    stations : StationNetwork, point Grid, CSV path, ``"lat,lon[,h]"`` text, a tuple, or a list of sites
        The ground stations (see :func:`constellation.stations.as_network`).  Default: the shipped network
        of five Chinese receiving stations (:func:`constellation.stations.china_network`).
    start, stop : ISO 8601 text, ``datetime``, ``datetime64`` (UTC)
        The window; give ``duration`` (seconds or text such as ``"1d"``) instead of ``stop`` if you like.
        ``start`` defaults to the latest element-set epoch of ``sats``.
    min_elevation_deg : float
        The mask of stations that carry none of their own (a network read from CSV, or built with
        :func:`~constellation.stations.network`, carries one per station).
    dut1 : float or array, optional
        UT1 - UTC (s); default Skyfield's built-in IERS table.
    tolerance_s : float
        Accuracy of the refined rise and set times (seconds).

    Returns
    -------
    pandas.DataFrame, one row per contact, sorted by rise time, then satellite index, then station (in
    network order), with the columns of :data:`CONTACT_COLUMNS`: ``satellite`` (name),
    ``satellite_index`` (position in ``sats``), ``catalog_number``, ``group``, ``station``, ``rise``,
    ``culmination``, ``set`` (UTC ``datetime64[ns]``), ``max_elevation_deg``, ``duration_s``,
    ``rise_azimuth_deg``, ``set_azimuth_deg`` (degrees clockwise from north), ``rise_clipped``,
    ``set_clipped`` (the contact was already in progress at ``start`` / still in progress at ``stop``).
    The meaning of every column is that of :func:`constellation.passes`.  ``attrs`` hold ``start``,
    ``stop`` and the network (``stations``: name, lat_deg, lon_deg, height_m, min_elevation_deg each).
    """
    c = as_constellation(sats)
    net = china_network() if stations is None else as_network(stations, min_elevation_deg)
    t0, t1 = window(c, start, stop, duration)
    # satellites named by their index, so that duplicate names in an element file stay apart
    indexed = c._derive(s.with_(name=str(i)) for i, s in enumerate(c))
    tables = []
    for mask in np.unique(net.min_elevation_deg):
        idx = np.flatnonzero(net.min_elevation_deg == mask)
        t = passes(indexed, net.as_grid(idx), t0, t1, float(mask), dut1=dut1, tolerance_s=tolerance_s)
        if "site" not in t.columns:
            t.insert(3, "site", np.array([net.names[idx[0]]] * len(t), dtype=object))
        tables.append(t)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    sat = table["satellite"].astype(np.int64).to_numpy() if len(table) else np.zeros(0, np.int64)
    order_of = {n: i for i, n in enumerate(net.names)}
    station_pos = np.array([order_of[s] for s in table["site"]], dtype=np.int64) if len(table) else sat
    table = table.rename(columns={"site": "station"})
    table["satellite"] = np.asarray(c.names, dtype=object)[sat] if len(table) else []
    table["satellite_index"] = sat
    table["_station_pos"] = station_pos
    table = table.sort_values(["rise", "satellite_index", "_station_pos"], kind="stable")
    table = table[CONTACT_COLUMNS].reset_index(drop=True)
    table["station"] = table["station"].astype(object)
    table["satellite"] = table["satellite"].astype(object)
    table.attrs.update(start=str(t0), stop=str(t1), stations=_network_attrs(net))
    return table


def _network_attrs(net: StationNetwork) -> list[tuple]:
    return [(str(n), float(a), float(b), float(h), float(m)) for n, a, b, h, m in
            zip(net.names, net.lat_deg, net.lon_deg, net.height_m, net.min_elevation_deg)]


def downlink_ends(table: pd.DataFrame, n_sat: int) -> list[np.ndarray]:
    """Per satellite (``satellite_index`` 0 .. ``n_sat - 1``), the sorted UTC ends (``datetime64[ns]``) of
    its contacts with any station of ``table`` (a :func:`contacts` table).  A contact still in progress
    at the window's end (``set_clipped``) is left out: its real end lies beyond the window."""
    done = table[~table["set_clipped"].to_numpy(bool)]
    sat = done["satellite_index"].to_numpy(np.int64)
    ends = done["set"].to_numpy("datetime64[ns]")
    order = np.lexsort((ends, sat))
    sat, ends = sat[order], ends[order]
    cut = np.searchsorted(sat, np.arange(n_sat + 1))
    return [ends[cut[i]:cut[i + 1]] for i in range(n_sat)]
