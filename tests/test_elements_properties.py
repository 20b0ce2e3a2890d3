"""Property tests (hypothesis): generated element sets survive format_tle -> load, and any single-character
corruption of a valid TLE is either reported as an ElementSetError or still reads as a valid record."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec

from constellation.elements import _diagnose_tle, _Reader, _screen_tle, dumps, format_tle, loads
from constellation.errors import ElementSetError
from constellation.satellite import Satellite

DEG = math.pi / 180.0
_ALPHA5 = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _catnum_text(n: int) -> str:
    return f"{n:05d}" if n < 100000 else _ALPHA5[n // 10000 - 10] + f"{n % 10000:04d}"


@st.composite
def element_sets(draw):
    """Element sets exactly representable in the TLE columns (so the round trip must be exact)."""
    satnum = draw(st.integers(1, 339999))
    yy = draw(st.integers(0, 99))
    leap = yy % 4 == 0
    day = draw(st.integers(100_000_000, (366 if leap else 365) * 100_000_000 + 99_999_999)) / 1e8
    angles = [draw(st.integers(0, 3_599_999)) / 1e4 for _ in range(3)]
    incl = draw(st.integers(0, 1_800_000)) / 1e4
    ecc = draw(st.integers(0, 9_999_999)) / 1e7
    mm = draw(st.integers(1, 1_699_999_999)) / 1e8 + 0.5           # 0.5 .. 17.5 rev/day
    mant = st.integers(-99999, 99999)
    exps = st.integers(-9, 9)
    bstar = draw(mant) * 1e-5 * 10.0 ** draw(exps)
    nddot = draw(mant) * 1e-5 * 10.0 ** draw(exps)
    ndot = draw(st.integers(-99_999_999, 99_999_999)) / 1e8
    l1 = (f"1 {_catnum_text(satnum)}U 20001A   {yy:02d}{day:012.8f} "
          f"{'-' if ndot < 0 else ' '}{f'{abs(ndot):.8f}'[1:]} {_expo(nddot)} {_expo(bstar)} 0 "
          f"{draw(st.integers(0, 9999)):4d}")
    l2 = (f"2 {_catnum_text(satnum)} {incl:8.4f} {angles[0]:8.4f} {round(ecc * 1e7):07d} "
          f"{angles[1]:8.4f} {angles[2]:8.4f} {mm:11.8f}{draw(st.integers(0, 99999)):5d}")
    return _with_checksum(l1), _with_checksum(l2), draw(st.text("ABCXYZ -()0123456789", max_size=24))


def _expo(v: float) -> str:
    if v == 0:
        return " 00000+0"
    m, e = f"{abs(v):.4e}".split("e")
    e = int(e) + 1
    if not -9 <= e <= 9:
        return " 00000+0"
    return f"{'-' if v < 0 else ' '}{m.replace('.', '')}{'-' if e < 0 else '+'}{abs(e)}"


def _with_checksum(line: str) -> str:
    return line + str(sum(int(c) if c.isdigit() else c == "-" for c in line) % 10)


FIELDS = ("satnum", "epochyr", "epochdays", "ndot", "nddot", "bstar", "inclo", "nodeo", "ecco", "argpo",
          "mo", "no_kozai", "revnum", "elnum", "ephtype", "classification", "intldesg")


@settings(max_examples=300, deadline=None)
@given(element_sets())
@example(("1 00001U 20001A   00001.00000000  .00000000  00000+0  00000+0 0    06",
          "2 00001   0.0000   0.0000 0000000   0.0000   0.0000  0.50000001    09", "1 0"))
def test_generated_element_sets_round_trip(es):
    l1, l2, name = es
    ref = Satrec.twoline2rv(l1, l2)
    lines = format_tle(Satellite(ref))
    back = loads("\n".join(lines) + "\n")[0].satrec
    for f in FIELDS:
        assert getattr(back, f) == getattr(ref, f), (f, l1, l2, lines)
    # and through a 3LE file, with the name
    sats = loads(dumps([Satellite(ref, name=name.strip())], "3le"))
    assert sats[0].name == name.strip()  # also names like "1 0" or "0 X" that look like other lines
    assert sats[0].satrec.satnum == ref.satnum


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 2 * math.pi, allow_nan=False), st.floats(-10, 10, allow_nan=False),
       st.floats(0.0, 0.99, allow_nan=False), st.floats(0.5, 16.5, allow_nan=False))
def test_format_tle_of_arbitrary_sgp4init_elements_reads_back_within_column_precision(raan, mo, ecc, mm):
    r = Satrec()
    r.sgp4init(WGS72, "i", 4242, 26000.25, 1.5e-5, 0.0, 0.0, ecc, 1.0, 1.2, mo, mm / (1440 / (2 * math.pi)),
               raan)
    back = loads("\n".join(format_tle(r)))[0].satrec
    def wrap(a, b):  # angular distance (rad)
        return abs((a - b + math.pi) % (2 * math.pi) - math.pi)

    assert wrap(back.nodeo, raan) <= 0.5e-4 * DEG * 1.0001
    assert wrap(back.mo, mo) <= 0.5e-4 * DEG * 1.0001
    assert abs(back.ecco - ecc) <= 0.5e-7 * 1.0001
    assert abs(back.no_kozai - r.no_kozai) <= 0.5e-8 / (1440 / (2 * math.pi)) * 1.0001


BASE = [
    "ISS (ZARYA)",
    "1 25544U 98067A   20177.54743984  .00000643  00000-0  19557-4 0  9995",
    "2 25544  51.6448 307.0852 0002519  82.7533 354.3691 15.49459678233311",
    "DELLINGR (RBLE)",
    "1 43021U 98067NJ  20177.44847176  .00008144  00000-0  68434-4 0  9994",
    "2 43021  51.6345 238.9614 0001760  66.1596 293.9586 15.70929428148121",
]
TEXT = "\n".join(BASE) + "\n"


@pytest.mark.filterwarnings("ignore::constellation.elements.ElementSetWarning")
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(TEXT) - 1), st.characters(codec="utf-8") | st.sampled_from("0123456789 -+.\t\r\nA"))
@example(0, "[")
@example(TEXT.index("1 ") + 3, "\U000112f0")  # a non-ASCII decimal digit (Grantha) in line 1's catalogue number
@example(TEXT.index("2 ") + 20, "\u0663")      # an Arabic-Indic digit in line 2's inclination
def test_single_character_corruption_is_detected_or_harmless(pos, ch):
    text = TEXT[:pos] + ch + TEXT[pos + 1:]
    try:
        sats = loads(text)
    except ElementSetError as exc:
        assert exc.line is not None and exc.field and exc.found and exc.expected
        if exc.field == "file content":
            return
        try:
            lenient = loads(text, strict=False)
        except ElementSetError as whole:
            # the file as a whole does not parse (e.g. a first "[" makes it JSON): nothing can be skipped,
            # and lenient reading reports the same error
            assert (whole.line, whole.field) == (exc.line, exc.field)
            return
        assert lenient.report.skipped and exc.line in [e.line for e in lenient.report.skipped]
        return
    # accepted: every record must still be a valid element set, and both are there
    assert len(sats) == 2
    l1s = [ln.rstrip(" \r") for ln in text.split("\n") if ln.startswith("1 ")]
    l2s = [ln.rstrip(" \r") for ln in text.split("\n") if ln.startswith("2 ")]
    assert _screen_tle(l1s, l2s).all()
    assert all(_diagnose_tle(_Reader("x", True, "tle"), a, 1, b, 2) is None for a, b in zip(l1s, l2s))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(TEXT) - 1), st.sampled_from("0123456789 -+.AZ"))
def test_screen_and_diagnosis_agree(pos, ch):
    """The vectorised screen and the field-by-field diagnosis encode the same rules."""
    lines = (TEXT[:pos] + ch + TEXT[pos + 1:]).split("\n")
    for k in (1, 4):
        l1, l2 = lines[k], lines[k + 1]
        if l1[:2] != "1 " or l2[:2] != "2 " or len(l1) != 69 or len(l2) != 69:
            continue
        screened = bool(_screen_tle([l1], [l2])[0])
        diagnosed = _diagnose_tle(_Reader("x", True, "tle"), l1, 1, l2, 2) is None
        assert screened == diagnosed, (l1, l2)
