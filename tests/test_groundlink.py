"""Ground station networks and contacts: against :func:`constellation.passes` per station (times to a microsecond) and a
brute-force Skyfield oracle (elevation every second: rise and set within 1 s, the same contacts); the
network readers and the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import constellation as C
from constellation.cli import main
from constellation.groundlink import CONTACT_COLUMNS, contacts, downlink_ends
from constellation.stations import as_network, china_network, network, read_stations

START, STOP = "2026-01-01T00:00", "2026-01-01T06:00"


@pytest.fixture(scope="module")
def eo3(jinan):
    eo = jinan.select(group="eo")
    return eo[[0, 17, 40]]


def test_shipped_network():
    net = china_network()
    assert list(net.names) == ["Miyun", "Kashi", "Sanya", "Lijiang", "Mohe"]
    assert np.all(net.min_elevation_deg == 5.0) and 18 < net.lat_deg.min() and net.lat_deg.max() < 54


def test_contacts_equal_passes_per_station_mask(eo3):
    net = network([36.65, 40.45, 18.25], [117.0, 116.86, 109.51], ["Jinan", "Miyun", "Sanya"], [0, 150, 10],
                  [10.0, 5.0, 10.0])
    table = contacts(eo3, net, START, STOP)
    assert list(table.columns) == CONTACT_COLUMNS and len(table) > 0
    for k, name in enumerate(net.names):
        one = C.passes(eo3, (net.lat_deg[k], net.lon_deg[k], net.height_m[k]), START, STOP,
                       net.min_elevation_deg[k])
        mine = table[table.station == name]
        assert len(mine) == len(one)
        for col in ("rise", "set"):
            diff = (np.sort(mine[col].to_numpy()) - np.sort(one[col].to_numpy())) / np.timedelta64(1, "ns")
            assert np.abs(diff).max(initial=0) <= 1000  # 1 microsecond
        np.testing.assert_allclose(np.sort(mine.max_elevation_deg), np.sort(one.max_elevation_deg), atol=1e-9)
    assert table["rise"].is_monotonic_increasing


def _sky_itrs(sat, times):
    """Skyfield's ITRS position (km) of ``sat`` at UTC ``times``, shape (n, 3)."""
    from skyfield.api import load
    from skyfield.framelib import itrs

    ts = load.timescale(builtin=True)
    t0 = pd.Timestamp(times[0])
    sec = (pd.DatetimeIndex(times) - t0) / pd.Timedelta(1, "s")
    t = ts.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second + np.asarray(sec, float))
    return sat.to_skyfield(ts).at(t).frame_xyz(itrs).km.T


def _sky_station(lat, lon, h_m):
    """Skyfield's WGS84 station: ITRS position (km) and unit normal."""
    from skyfield.api import wgs84

    p = wgs84.latlon(lat, lon, elevation_m=h_m)
    la, lo = np.radians(lat), np.radians(lon)
    return p.itrs_xyz.km, np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def test_contacts_against_skyfield_bruteforce(eo3):
    """Elevation every second from Skyfield's ITRS positions: the contacts are the runs above each
    station's mask; rises and sets inside the window agree within 1 s."""
    net = china_network().select(["Miyun", "Kashi", "Mohe"])
    stop = "2026-01-01T03:00"
    table = contacts(eo3, net, START, stop)
    times = pd.date_range(START, stop, freq="1s")
    for i, sat in enumerate(eo3):
        r = _sky_itrs(sat, times)
        for k, name in enumerate(net.names):
            pos, up_vec = _sky_station(net.lat_deg[k], net.lon_deg[k], net.height_m[k])
            rho = r - pos
            el = np.degrees(np.arcsin(rho @ up_vec / np.linalg.norm(rho, axis=1)))
            up = el >= net.min_elevation_deg[k]
            rises = np.flatnonzero(~up[:-1] & up[1:]) + 1
            sets = np.flatnonzero(up[:-1] & ~up[1:])
            mine = table[(table.satellite_index == i) & (table.station == name)]
            assert len(mine) == max(len(rises), len(sets)), (sat.name, name)
            for col, idx in (("rise", rises), ("set", sets)):
                got = mine[col][~mine[f"{col}_clipped"]].to_numpy()
                assert got.size == idx.size, (sat.name, name, col)
                err = np.abs((got - times[idx].to_numpy()) / np.timedelta64(1, "s"))
                assert err.max(initial=0) <= 1.0, (sat.name, name, col, err)


def test_duplicate_names_stay_apart(eo3):
    """The same satellite twice: two satellite indices with the same contacts (names are not keys)."""
    twice = eo3[[0, 0]]
    table = contacts(twice, china_network(), START, STOP)
    a, b = table[table.satellite_index == 0], table[table.satellite_index == 1]
    assert len(a) == len(b) > 0
    np.testing.assert_array_equal(a.rise.to_numpy(), b.rise.to_numpy())


def test_downlink_ends_sorted_per_satellite(eo3):
    table = contacts(eo3, china_network(), START, STOP)
    ends = downlink_ends(table, len(eo3))
    assert len(ends) == 3
    for i, e in enumerate(ends):
        assert np.all(np.diff(e) >= np.timedelta64(0, "ns"))
        assert e.size == int(((table.satellite_index == i) & ~table.set_clipped).sum())


def test_read_stations_and_errors(tmp_path):
    f = tmp_path / "net.csv"
    f.write_text("# a comment\nname,latitude,longitude,alt_m,mask_deg\nA,10,20,5,7\nB,-10,30,,\n")
    net = read_stations(f, min_elevation_deg=3.0)
    assert list(net.names) == ["A", "B"]
    np.testing.assert_array_equal(net.min_elevation_deg, [7.0, 3.0])
    np.testing.assert_array_equal(net.height_m, [5.0, 0.0])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon\nA,10,x\n")
    with pytest.raises(ValueError, match="bad.csv:2"):
        read_stations(bad)
    nolat = tmp_path / "nolat.csv"
    nolat.write_text("name,lon\nA,10\n")
    with pytest.raises(ValueError, match="lat_deg column"):
        read_stations(nolat)
    with pytest.raises(ValueError, match="appears twice"):
        network([1, 2], [3, 4], ["X", "X"])
    with pytest.raises(ValueError, match="min_elevation_deg 95"):
        network([1], [3], ["X"], 0, 95)
    assert len(as_network([(1, 2), "3,4,100"])) == 2
    assert len(as_network(C.grid.points([1, 2], [3, 4]))) == 2
    txt = tmp_path / "net.txt"
    txt.write_text("lat,lon\n1,2\n")
    assert len(as_network(str(txt))) == 1


def test_cli_contacts(tmp_path, capsys):
    out_csv = tmp_path / "c.csv"
    assert main(["contacts", "--group", "eo", "--launched", "--duration", "3h", "--limit", "2",
                 "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "with 5 stations" in out and "per station:" in out and "Miyun" in out
    written = pd.read_csv(out_csv)
    assert list(written.columns) == CONTACT_COLUMNS and len(written) > 2
    assert main(["contacts", "--station", "95,0"]) == 2
    assert "latitude 95.0" in capsys.readouterr().err


def test_cli_passes_several_sites(capsys):
    assert main(["passes", "--site", "36.65,117", "--site=-33.9,18.4", "--duration", "2h", "--group", "eo",
                 "--all"]) == 0
    out = capsys.readouterr().out
    assert "over 2 sites" in out and "-33.9,18.4" in out and "36.65,117" in out
