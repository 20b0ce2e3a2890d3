"""Interop with Skyfield ``EarthSatellite`` and python-sgp4 ``Satrec``, in and out."""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import Satrec
from skyfield.api import EarthSatellite, load

import constellation
from constellation.propagation import propagate
from constellation.satellite import Constellation, Satellite, as_constellation

ISS = ("1 25544U 98067A   20177.38129083  .00000842  00000-0  23291-4 0  9998",
       "2 25544  51.6444 359.2224 0002568  83.7463  47.6541 15.49471935233236")
T = constellation.time_range("2020-06-25T12:00", duration="30m", step_s=300)


def test_accepts_satrec_and_earthsatellite_and_lists_of_them():
    ts = load.timescale(builtin=True)
    rec = Satrec.twoline2rv(*ISS)
    es = EarthSatellite(*ISS, name="ISS (ZARYA)", ts=ts)
    for obj, n in ((rec, 1), (es, 1), ([rec, es], 2), ((es, es), 2)):
        c = as_constellation(obj)
        assert isinstance(c, Constellation) and len(c) == n
        assert (c.catalog_numbers == 25544).all()
    assert as_constellation(es)[0].name == "ISS (ZARYA)"
    with pytest.raises(TypeError, match="cannot make a satellite"):
        as_constellation(["not a satellite"])


def test_propagate_gives_the_same_answer_for_every_input_type():
    ts = load.timescale(builtin=True)
    rec = Satrec.twoline2rv(*ISS)
    es = EarthSatellite(*ISS, ts=ts)
    ref = propagate(Satellite(rec), T)
    for obj in (rec, es, [es], as_constellation(rec)):
        np.testing.assert_array_equal(propagate(obj, T).x_km.values, ref.x_km.values)


def test_to_skyfield_round_trip():
    sat = Satellite(Satrec.twoline2rv(*ISS), name="ISS")
    es = sat.to_skyfield()
    assert isinstance(es, EarthSatellite) and es.model.satnum == 25544
    c = Constellation([sat, sat.with_(name="TWIN")])
    sf = c.to_skyfield()
    assert [type(s) for s in sf] == [EarthSatellite, EarthSatellite]
    # what comes back in gives the same positions
    np.testing.assert_array_equal(propagate(sf, T).x_km.values, propagate(c, T).x_km.values)
    # and Skyfield's own propagation of the returned object agrees with ours (ITRS, 1 m)
    from skyfield.framelib import itrs

    from constellation.timescale import skyfield_time

    r_sf = sf[0].at(skyfield_time(T)).frame_xyz(itrs).km.T
    ds = propagate(c[:1], T)
    r = np.stack([ds.x_km.values[0], ds.y_km.values[0], ds.z_km.values[0]], -1)
    assert np.linalg.norm(r - r_sf, axis=-1).max() * 1e3 < 1.0


def test_epoch_and_metadata():
    sat = Satellite(Satrec.twoline2rv(*ISS), name="ISS", group="crew", launched=True)
    # 20177.38129083 = 2020-06-25 + 0.38129083 d = 09:09:03.527712
    assert abs((sat.epoch - np.datetime64("2020-06-25T09:09:03.527712")) / np.timedelta64(1, "us")) <= 1
    assert sat.catalog_number == 25544 and sat.catalog_id == "25544"
    ds = propagate(sat, T)
    assert ds.group.values[0] == "crew" and bool(ds.launched.values[0])
