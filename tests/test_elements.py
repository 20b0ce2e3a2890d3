"""Element-set readers and writers on real CelesTrak data and small fixtures.

Outside authorities: python-sgp4's own TLE parser (``Satrec.twoline2rv``) and exporter
(``sgp4.exporter.export_tle``), and CelesTrak's own TLE and OMM XML renderings of the same 71 stations.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import DATA, data_file
from sgp4.api import Satrec
from sgp4.exporter import export_tle

from constellation import cli
from constellation.elements import (
    OMM_FIELDS,
    ElementSetWarning,
    dump,
    dumps,
    format_tle,
    load,
    loads,
    omm_fields,
    sniff,
)

THREE = DATA / "three.tle"
SATREC_FIELDS = ("satnum", "epochyr", "epochdays", "jdsatepoch", "jdsatepochF", "ndot", "nddot", "bstar",
                 "inclo", "nodeo", "ecco", "argpo", "mo", "no_kozai", "revnum", "elnum", "ephtype",
                 "classification", "intldesg")
# OMM round trips go through decimal text: relative agreement to 1e-12 (the writer keeps 13 digits)
OMM_FIELDS_FLOAT = ("ndot", "nddot", "bstar", "inclo", "nodeo", "ecco", "argpo", "mo", "no_kozai")


def assert_same_satrecs(a, b, exact=True):
    assert len(a) == len(b)
    assert list(a.names) == list(b.names)
    for sa, sb in zip(a, b):
        for f in SATREC_FIELDS:
            va, vb = getattr(sa.satrec, f), getattr(sb.satrec, f)
            if exact or f not in OMM_FIELDS_FLOAT + ("jdsatepoch", "jdsatepochF", "epochdays"):
                assert va == vb, (sa.name, f, va, vb)
            elif f in ("jdsatepochF", "epochdays"):
                assert abs(va - vb) < 1e-6 / 86400 * 1.01, (sa.name, f, va, vb)   # 1 microsecond
            else:
                assert math.isclose(va, vb, rel_tol=1e-12, abs_tol=1e-20), (sa.name, f, va, vb)


def tle_lines(path: Path) -> list[tuple[str, str]]:
    lines = [ln.rstrip() for ln in path.read_text().splitlines()]
    return [(lines[i], lines[i + 1]) for i in range(len(lines) - 1) if lines[i].startswith("1 ")]


def same_up_to_zero_exponent(ours: str, theirs: str) -> bool:
    """Equal, except that a zero nddot/bstar may be written ' 00000+0' or ' 00000-0' (both exist)."""
    norm = [s[:68].replace(" 00000-0", " 00000+0") for s in (ours, theirs)]
    return norm[0] == norm[1]


# --- reading -----------------------------------------------------------------------------------------

def test_three_tle_matches_twoline2rv():
    sats = load(THREE)
    assert sats.name == "three" and sats.source == str(THREE)
    assert list(sats.names) == ["ISS (ZARYA)", "KESTREL EYE IIM (KE2M)", "DELLINGR (RBLE)"]
    assert [s.object_id for s in sats] == ["1998-067A", "1998-067NE", "1998-067NJ"]
    assert all(s.launched and s.group == "" and s.source == str(THREE) for s in sats)
    for s, (l1, l2) in zip(sats, tle_lines(THREE)):
        ref = Satrec.twoline2rv(l1, l2)
        for f in SATREC_FIELDS:
            assert getattr(s.satrec, f) == getattr(ref, f), f
    assert sats.report.clean and sats.report.format == "tle" and sats.report.loaded == 3


@pytest.mark.parametrize("name", ["three.json", "three.csv", "three_ns.xml"])
def test_omm_fixtures_equal_the_tle(name):
    tle, omm = load(THREE), load(DATA / name)
    assert [s.object_id for s in omm] == [s.object_id for s in tle]
    assert_same_satrecs(tle, omm, exact=False)


@pytest.mark.parametrize("ext", [".txt", ".json", ".xml", ""])
def test_format_is_sniffed_not_taken_from_the_extension(tmp_path, ext):
    p = tmp_path / f"misleading{ext}"
    p.write_text((DATA / "three.csv").read_text())
    assert sniff(p.read_text()) == "omm-csv"
    assert len(load(p)) == 3


def test_loads_and_single_json_object():
    text = (DATA / "three.json").read_text()
    sats = loads(text, source="mem.json")
    assert len(sats) == 3 and sats.source == "mem.json" and sats.name == "mem"
    one = loads('{"OBJECT_NAME": "X", "OBJECT_ID": "2020-001A", "EPOCH": "2020-01-01T00:00:00", '
                '"MEAN_MOTION": 15.5, "ECCENTRICITY": 0.001, "INCLINATION": 53, "RA_OF_ASC_NODE": 10, '
                '"ARG_OF_PERICENTER": 20, "MEAN_ANOMALY": 30, "NORAD_CAT_ID": 44713, "BSTAR": 0.0001, '
                '"MEAN_MOTION_DOT": 1e-5, "MEAN_MOTION_DDOT": 0}')
    assert len(one) == 1 and one[0].name == "X" and one[0].catalog_number == 44713
    assert str(one[0].epoch) == "2020-01-01T00:00:00.000000000"


def test_space_track_style_json_with_numbers_as_strings():
    import json
    rows = json.loads((DATA / "three.json").read_text())
    as_text = [{k: str(v) for k, v in r.items()} for r in rows]
    assert_same_satrecs(load(THREE), loads(json.dumps(as_text)), exact=False)


def test_valid_oddities_give_the_right_satellites(tmp_path):
    ref = load(THREE)
    lines = THREE.read_text().splitlines()
    variants = {
        "crlf": "\r\n".join(lines) + "\r\n",
        "bom": "\ufeff" + "\n".join(lines) + "\n",
        "trailing-spaces": "\n".join(ln + "   " for ln in lines) + "\n",
        "blank-lines": "\n\n" + "\n\n".join(lines) + "\n\n\n",
        "no-final-newline": "\n".join(lines),
        "zero-prefix": "\n".join(("0 " + ln) if i % 3 == 0 else ln for i, ln in enumerate(lines)) + "\n",
        "two-line": "\n".join(ln for i, ln in enumerate(lines) if i % 3) + "\n",
        "all-at-once": "\ufeff\r\n" + "\r\n\r\n".join("0 " + ln + "  " if i % 3 == 0 else ln + " "
                                                      for i, ln in enumerate(lines)),
    }
    for label, text in variants.items():
        p = tmp_path / f"{label}.tle"
        p.write_bytes(text.encode("utf-8"))
        sats = load(p)
        want = [""] * 3 if label == "two-line" else list(ref.names)
        assert list(sats.names) == want, label
        assert list(sats.catalog_numbers) == list(ref.catalog_numbers), label
        assert sats.report.clean, label


def test_alpha5_catalogue_numbers():
    l1, l2 = tle_lines(THREE)[0]
    def fix(s):  # the line with its checksum recomputed
        return s[:68] + str(sum(int(c) if c.isdigit() else c == "-" for c in s[:68]) % 10)

    a1, a2 = fix(l1[:2] + "A0001" + l1[7:]), fix(l2[:2] + "A0001" + l2[7:])
    z1, z2 = fix(l1[:2] + "Z9999" + l1[7:]), fix(l2[:2] + "Z9999" + l2[7:])
    sats = loads(f"FIRST\n{a1}\n{a2}\nLAST\n{z1}\n{z2}\n")
    assert list(sats.catalog_numbers) == [100001, 339999]
    assert [s.catalog_id for s in sats] == ["A0001", "Z9999"]
    ours = format_tle(sats[0])
    assert same_up_to_zero_exponent(ours[0], a1) and ours[1] == a2


def test_duplicates_keep_newest_epoch_and_are_reported_in_both_modes():
    lines = THREE.read_text().splitlines()
    old1 = lines[1][:18] + "20170.00000000" + lines[1][32:68]
    old1 += str(sum(int(c) if c.isdigit() else c == "-" for c in old1) % 10)
    text = "\n".join([lines[0] + " OLD", old1, lines[2]] + lines + [lines[0] + " SAME EPOCH"] + lines[1:3])
    for strict in (True, False):
        with pytest.warns(ElementSetWarning, match="2 duplicate"):
            sats = loads(text, strict=strict)
        assert list(sats.catalog_numbers) == [25544, 42982, 43021]
        assert sats[0].name == "ISS (ZARYA)"                  # newest epoch; on a tie the first one
        dup = sats.report.duplicates
        assert sorted(e.line for e in dup) == [2, 14]          # line 1 of each dropped record
        assert all("25544" in e.message for e in dup)
        assert not sats.report.skipped


def test_warning_only_when_something_is_left_out():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(THREE, strict=False)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.tle")


# --- writing -----------------------------------------------------------------------------------------

def test_format_tle_reproduces_the_input_lines():
    for s, (l1, l2) in zip(load(THREE), tle_lines(THREE)):
        ours = format_tle(s)
        assert same_up_to_zero_exponent(ours[0], l1) and ours[1] == l2
        assert len(ours[0]) == len(ours[1]) == 69


def test_format_tle_of_sgp4init_satrec_wraps_angles_and_rejects_bad_values():
    from sgp4.api import WGS72
    r = Satrec()
    r.sgp4init(WGS72, "i", 12345, 27000.5, 2.5e-5, 1e-6, 0.0, 0.0011, 7.0, 0.9, -0.1, 0.0654, 6.5)
    l1, l2 = format_tle(r)
    back = Satrec.twoline2rv(l1, l2)
    assert back.satnum == 12345 and abs(back.epochdays - r.epochdays) < 1e-8
    assert abs(math.degrees(back.mo) - (math.degrees(-0.1) % 360)) < 1e-4
    assert abs(math.degrees(back.nodeo) - math.degrees(6.5) % 360) < 1e-4
    r.sgp4init(WGS72, "i", 12345, 27000.5, 2.5e-5, 1e-6, 0.0, 0.99999996, 7.0, 0.9, 0.1, 0.0654, 1.0)
    with pytest.raises(ValueError, match="eccentricity"):
        format_tle(r)


def test_dumps_formats_and_field_order():
    sats = load(THREE)
    tle, three = dumps(sats, "tle"), dumps(sats, "3le")
    assert len(tle.splitlines()) == 6 and len(three.splitlines()) == 9
    assert three.splitlines()[0] == "ISS (ZARYA)"
    header = dumps(sats, "omm-csv").splitlines()[0].split(",")
    assert tuple(header) == OMM_FIELDS
    assert header == data_file("sample_omm.csv").read_text().splitlines()[0].split(",")  # CelesTrak's own
    assert list(omm_fields(sats[0])) == list(OMM_FIELDS)
    with pytest.raises(ValueError, match="unknown element-set format"):
        dumps(sats, "kml")


@pytest.mark.parametrize("fmt", ["tle", "3le", "omm-json", "omm-csv"])
def test_dump_is_atomic_and_round_trips(tmp_path, fmt):
    sats = load(THREE)
    dest = tmp_path / "out.dat"
    dest.write_text("old content")
    dump(sats, dest, fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.dat"]      # no temporary left behind
    assert dest.read_text() == dumps(sats, fmt)
    back = load(dest)
    if fmt == "tle":
        assert list(back.names) == [""] * 3
        back = type(back)([b.with_(name=s.name) for b, s in zip(back, sats)])
    assert_same_satrecs(sats, back, exact=fmt in ("tle", "3le"))
    buf = io.StringIO()
    dump(sats, buf, fmt)
    assert buf.getvalue() == dumps(sats, fmt)


def test_dump_failure_leaves_destination_untouched(tmp_path):
    dest = tmp_path / "keep.tle"
    dest.write_text("precious")
    with pytest.raises(ValueError):
        dump(load(THREE), dest, "nope")
    assert dest.read_text() == "precious" and len(list(tmp_path.iterdir())) == 1


# --- real catalogues ---------------------------------------------------------------------------------
# Every 20th object of two CelesTrak "active" snapshots (tests/data/README.md); each keeps the Chinese
# constellations below, near-Earth and deep-space orbits, CRLF (2026) or LF without a final newline (2025).

CATALOGUES = [("celestrak_active_2026-06-14_every20th.tle", 785), ("celestrak_active_2025-10-03_every20th.txt", 641)]


@pytest.fixture(scope="module", params=CATALOGUES, ids=[c[0] for c in CATALOGUES])
def catalogue(request):
    name, count = request.param
    return data_file(name), count, load(data_file(name))


def test_real_catalogues_load_completely(catalogue):
    path, count, sats = catalogue
    assert len(sats) == count and sats.report.clean
    names = " ".join(sats.names)
    for constellation in ("QIANFAN", "HULIANWANG DIGUI", "JILIN-1", "TIANQI", "GEESAT", "YAOGAN"):
        assert constellation in names
    assert len(set(sats.catalog_numbers.tolist())) == count


def test_real_catalogues_round_trip_exactly(catalogue, tmp_path):
    path, _, sats = catalogue
    refs = [Satrec.twoline2rv(l1, l2) for l1, l2 in tle_lines(path)]
    assert len(refs) == len(sats)
    for s, ref in zip(sats, refs):
        assert s.satrec.satnum == ref.satnum and s.satrec.epochdays == ref.epochdays
    out = tmp_path / "again.tle"
    dump(sats, out, "3le")
    assert_same_satrecs(sats, load(out), exact=True)
    back = loads(dumps(sats, "omm-json"))
    assert_same_satrecs(sats, back, exact=False)


def test_format_tle_agrees_with_python_sgp4_exporter(catalogue):
    path, _, sats = catalogue
    lines = tle_lines(path)
    assert len(lines) == len(sats)
    for s, (l1, l2) in zip(sats, lines):
        ours = format_tle(s)
        theirs = export_tle(s.satrec)
        assert same_up_to_zero_exponent(ours[0], theirs[0]) and ours[1] == theirs[1], s.name
        assert same_up_to_zero_exponent(ours[0], l1) and ours[1] == l2


@pytest.mark.parametrize("name", ["sample_omm.json", "sample_omm.csv", "sample_omm.xml",
                                  "celestrak_stations_2025-05-25_omm.json",
                                  "celestrak_resource_2025-05-25_omm.json"])
def test_omm_samples_load_and_round_trip(name):
    sats = load(data_file(name))
    assert len(sats) >= 1 and all(s.name and s.object_id for s in sats)
    for fmt in ("omm-json", "omm-csv", "3le"):
        assert_same_satrecs(sats, loads(dumps(sats, fmt)), exact=False)


def test_stations_tle_and_omm_xml_agree_after_one_day(stations):
    tle = stations
    xml = load(data_file("celestrak_stations_2020-06-25_omm.xml"))
    assert len(tle) == len(xml) == 71
    by_num = {s.catalog_number: s for s in xml}
    worst = 0.0
    for s in tle:
        o = by_num[s.catalog_number]
        assert o.name == s.name
        jd, fr = s.satrec.jdsatepoch + 1.0, s.satrec.jdsatepochF
        e1, r1, _ = s.satrec.sgp4(jd, fr)
        e2, r2, _ = o.satrec.sgp4(jd, fr)
        assert e1 == e2 == 0
        worst = max(worst, float(np.linalg.norm(np.subtract(r1, r2))))
    assert worst <= 1e-5, worst


# --- constellation info ------------------------------------------------------------------------------

def test_cli_info_on_a_real_catalogue(capsys):
    path = data_file("celestrak_active_2025-10-03_every20th.txt")
    assert cli.main(["info", str(path), "--at", "2025-10-04T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert f"source: {path}" in out and "objects: 641" in out
    assert "min    2025-09-20" in out and "max    2025-10-03" in out
    assert "shell" in out and "load report:" in out and "skipped 0 bad record(s)" in out


def test_cli_info_reports_skipped_records_and_strict_fails(tmp_path, capsys):
    lines = THREE.read_text().splitlines()
    lines[5] = lines[5][:68] + str((int(lines[5][68]) + 1) % 10)
    bad = tmp_path / "bad.tle"
    bad.write_text("\n".join(lines) + "\n")
    assert cli.main(["info", str(bad), "--at", "2020-06-26T00:00:00"]) == 0
    out = capsys.readouterr().out
    assert "objects: 2" in out and "skipped 1 bad record(s)" in out and f"{bad}:6: line 2 checksum" in out
    assert "1.0 d old" in out or "0.5 d old" in out or "d old" in out
    assert cli.main(["info", str(bad), "--strict"]) == 2
    assert f"{bad}:6: line 2 checksum" in capsys.readouterr().err


def test_cli_info_default_is_the_jinan368_plan(capsys):
    pytest.importorskip("constellation.design")
    assert cli.main(["info", "--at", "2026-01-02T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "objects: 368" in out
    assert "Walker-like shell 1000 km 50.0 deg: 216" in out
