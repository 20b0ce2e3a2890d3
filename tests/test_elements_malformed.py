"""A corpus of malformed element-set files: each must fail with a clear ElementSetError naming the line,
the field, what was found and what was expected; read leniently, the good records around it survive and
the bad one is in the report (nothing lost).

The good input is ``tests/data/three.tle`` (three ISS-orbit objects, CelesTrak 2020-06-25) and its OMM
forms ``three.json``, ``three.csv`` and ``three_ns.xml``.  Record B (the middle one) is damaged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from constellation.elements import ElementSetWarning, _checksum, load
from constellation.errors import ElementSetError

DATA = Path(__file__).parent / "data"
NAMES = ["ISS (ZARYA)", "KESTREL EYE IIM (KE2M)", "DELLINGR (RBLE)"]
TLE3 = (DATA / "three.tle").read_text().splitlines()          # 9 lines: name, 1, 2 for A, B, C
TLE2 = [ln for i, ln in enumerate(TLE3) if i % 3]              # 6 lines: 1, 2 for A, B, C


def fix(line: str) -> str:
    """Recompute column 69 so that only the intended fault remains."""
    return line[:68] + str(_checksum(line))


def put(line: str, col: int, text: str, checksum: bool = True) -> str:
    """Overwrite ``line`` from 1-based column ``col`` with ``text`` (then fix the checksum)."""
    out = line[:col - 1] + text + line[col - 1 + len(text):]
    return fix(out) if checksum else out


def edit3(k: int, new: str | None) -> str:
    """three.tle with line ``k`` (1-based) replaced (None: removed)."""
    lines = list(TLE3)
    if new is None:
        del lines[k - 1]
    else:
        lines[k - 1] = new
    return "\n".join(lines) + "\n"


L1B, L2B = TLE3[4], TLE3[5]          # record B, lines 5 and 6 of three.tle


@dataclass
class Case:
    id: str
    content: Callable[[], str | bytes]
    line: int | None
    field: str                      # must be in err.field
    found: str                      # must be in the message
    expected: str                   # must be in the message
    record: bool = True             # a bad record (lenient read keeps the others) or a bad file
    kept: tuple[str, ...] = (NAMES[0], NAMES[2])


def _json(mutate: Callable[[list], object]) -> Callable[[], str]:
    def make() -> str:
        data = json.loads((DATA / "three.json").read_text())
        mutate(data)
        return json.dumps(data, indent=4)
    return make


def _json_set(key: str, value) -> Callable[[], str]:
    return _json(lambda d: d[1].__setitem__(key, value))


def _csv(mutate: Callable[[list[str]], None]) -> Callable[[], str]:
    def make() -> str:
        lines = (DATA / "three.csv").read_text().splitlines()
        mutate(lines)
        return "\n".join(lines) + "\n"
    return make


def _csv_cell(key: str, value: str) -> Callable[[], str]:
    def mutate(lines: list[str]) -> None:
        header = lines[0].split(",")
        cells = lines[2].split(",")
        cells[header.index(key)] = value
        lines[2] = ",".join(cells)
    return _csv(mutate)


def _xml(old: str, new: str, nth: int = 2) -> Callable[[], str]:
    def make() -> str:
        text = (DATA / "three_ns.xml").read_text()
        parts = text.split("<omm ")
        parts[nth] = parts[nth].replace(old, new, 1)
        return "<omm ".join(parts)
    return make


XML_B_LINE = 11      # three_ns.xml: the second <omm> starts on line 11 (8 lines per object after 2)

CASES = [
    # --- TLE/3LE: record B damaged -------------------------------------------------------------------
    Case("checksum-line1", lambda: edit3(5, L1B[:68] + str((int(L1B[68]) + 3) % 10)), 5,
         "line 1 checksum", f"found {(int(L1B[68]) + 3) % 10}", f"expected {L1B[68]}"),
    Case("checksum-line2", lambda: edit3(6, L2B[:68] + str((int(L2B[68]) + 1) % 10)), 6,
         "line 2 checksum", f"found {(int(L2B[68]) + 1) % 10}", f"expected {L2B[68]}"),
    Case("short-line1", lambda: edit3(5, L1B[:66]), 5, "line 1 length", "66 characters", "69 characters"),
    Case("long-line2", lambda: edit3(6, L2B + "7"), 6, "line 2 length", "70 characters", "69 characters"),
    Case("catnum-nondigit", lambda: edit3(5, put(L1B, 3, "42X82")), 5, "line 1 catalogue number",
         "'42X82'", "5 digits or Alpha-5"),
    Case("catnum-alpha5-letter-I", lambda: edit3(5, put(L1B, 3, "I2982")), 5, "line 1 catalogue number",
         "'I2982'", "Alpha-5"),
    Case("catnum-mismatch", lambda: edit3(6, put(L2B, 3, "42983")), 6, "line 2 catalogue number",
         "'42983'", "'42982' as on line 1"),
    Case("epoch-year-nondigit", lambda: edit3(5, put(L1B, 19, "2O")), 5, "line 1 epoch year", "'2O'",
         "2 digits"),
    Case("epoch-day-0", lambda: edit3(5, put(L1B, 21, "000.52355489")), 5, "line 1 epoch day",
         "'000.52355489'", "1 <= epoch day < 367"),
    Case("epoch-day-367", lambda: edit3(5, put(L1B, 21, "367.52355489")), 5, "line 1 epoch day",
         "'367.52355489'", "epoch day < 367"),
    Case("epoch-day-366-not-leap", lambda: edit3(5, put(L1B, 19, "21366.52355489")), 5, "line 1 epoch day",
         "'366.52355489'", "2021 is not a leap year"),
    Case("epoch-day-format", lambda: edit3(5, put(L1B, 21, "177.5235548 ")), 5, "line 1 epoch day",
         "'177.5235548 '", "DDD.DDDDDDDD"),
    Case("ndot-no-point", lambda: edit3(5, put(L1B, 34, " 000007911")), 5,
         "line 1 mean motion first derivative", "' 000007911'", ".NNNNNNNN"),
    Case("nddot-bad-exponent", lambda: edit3(5, put(L1B, 45, " 00000*0")), 5,
         "line 1 mean motion second derivative", "' 00000*0'", "+NNNNN-E"),
    Case("bstar-bad-exponent", lambda: edit3(5, put(L1B, 54, " 68494-X")), 5, "line 1 bstar",
         "' 68494-X'", "+NNNNN-E"),
    Case("bstar-decimal-point", lambda: edit3(5, put(L1B, 54, " .6849-4")), 5, "line 1 bstar",
         "' .6849-4'", "implied leading decimal point"),
    Case("classification", lambda: edit3(5, put(L1B, 8, "X")), 5, "line 1 classification", "'X'",
         "U, C or S"),
    Case("intl-designator-lowercase", lambda: edit3(5, put(L1B, 10, "98067ne ")), 5,
         "line 1 international designator", "'98067ne '", "YYNNNPPP"),
    Case("ephemeris-type", lambda: edit3(5, put(L1B, 63, "A")), 5, "line 1 ephemeris type", "'A'",
         "a digit"),
    Case("element-set-number", lambda: edit3(5, put(L1B, 65, "99X9")), 5, "line 1 element set number",
         "'99X9'", "right-justified"),
    Case("eccentricity-decimal-point", lambda: edit3(6, put(L2B, 27, ".003039")), 6,
         "line 2 eccentricity", "'.003039'", "implied leading decimal point"),
    Case("inclination-200", lambda: edit3(6, put(L2B, 9, "200.0000")), 6, "line 2 inclination",
         "'200.0000'", "0 <= inclination <= 180"),
    Case("inclination-negative", lambda: edit3(6, put(L2B, 9, "-51.6332")), 6, "line 2 inclination",
         "'-51.6332'", "NNN.NNNN degrees"),
    Case("raan-400", lambda: edit3(6, put(L2B, 18, "400.0000")), 6, "line 2 RAAN", "'400.0000'",
         "0 <= RAAN <= 360"),
    Case("argp-360.5", lambda: edit3(6, put(L2B, 35, "360.5000")), 6, "line 2 argument of perigee",
         "'360.5000'", "<= 360"),
    Case("mean-anomaly-999", lambda: edit3(6, put(L2B, 44, "999.9999")), 6, "line 2 mean anomaly",
         "'999.9999'", "<= 360"),
    Case("mean-motion-0", lambda: edit3(6, put(L2B, 53, " 0.00000000")), 6, "line 2 mean motion",
         "'0.00000000'", "mean motion > 0"),
    Case("mean-motion-format", lambda: edit3(6, put(L2B, 53, "157.0248923")), 6, "line 2 mean motion",
         "'157.0248923'", "NN.NNNNNNNN rev/day"),
    Case("revolution-number", lambda: edit3(6, put(L2B, 64, "15A34")), 6, "line 2 revolution number",
         "'15A34'", "up to 5 digits"),
    Case("tab-character", lambda: edit3(5, put(L1B, 9, "\t", checksum=False)), 5, "line 1 characters",
         "a tab at column 9", "printable ASCII"),
    Case("non-ascii-character", lambda: edit3(6, put(L2B, 26, "\u00e9", checksum=False)), 6,
         "line 2 characters", "'\u00e9' at column 26", "printable ASCII"),
    Case("missing-line2", lambda: edit3(6, None), 5, "line 2", "line 6 'DELLINGR", "line 2 of catalogue "
         "number '42982'"),
    Case("line2-numbered-3", lambda: edit3(6, "3" + L2B[1:]), 5, "line 2", "'3 42982",
         "starting '2 '"),
    Case("damaged-line1-column1", lambda: edit3(5, "X" + L1B[1:]), 5, "line 1 line number", "'X '",
         "'1 '"),
    Case("swapped-lines", lambda: "\n".join(TLE3[:4] + [L2B, L1B] + TLE3[6:]) + "\n", 5, "line order",
         "line 2 of catalogue number '42982' before its line 1", "line 1 then line 2"),
    Case("orphan-line2", lambda: "\n".join(TLE2[:2] + TLE2[3:]) + "\n", 3, "line 1",
         "line 2 of catalogue number '42982' alone", "line 1 (starting '1 ') before line 2",
         kept=("", "")),
    Case("name-line-without-element-set", lambda: "\n".join(TLE3[:3] + ["LONELY NAME"] + TLE3[3:]) + "\n",
         4, "name line", "'LONELY NAME'", "TLE line 1", kept=tuple(NAMES)),
    Case("name-line-at-end", lambda: "\n".join(TLE3 + ["LAST NAME"]) + "\n", 10, "name line",
         "end of file", "TLE line 1", kept=tuple(NAMES)),
    # --- whole-file faults ------------------------------------------------------------------------------
    Case("empty-file", lambda: "", None, "file content", "empty or blank", "no element sets found", record=False),
    Case("blank-file", lambda: "\n  \r\n\n", None, "file content", "empty or blank", "no element sets found",
         record=False),
    Case("binary-garbage", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "file content", "0x89",
         "UTF-8 text", record=False),
    Case("nul-bytes", lambda: ("\n".join(TLE3[:3]) + "\n\x00\x00\n").encode(), 4, "file content",
         "0x00", "UTF-8 text", record=False),
    # --- OMM JSON ---------------------------------------------------------------------------------------
    Case("json-truncated", lambda: (DATA / "three.json").read_text()[:700], 24, "JSON", "at column",
         "valid JSON", record=False),
    Case("json-missing-mean-motion", _json(lambda d: d[1].pop("MEAN_MOTION")), 21, "MEAN_MOTION",
         "no such key", "MEAN_MOTION (required by SGP4"),
    Case("json-string-for-number", _json_set("ECCENTRICITY", "small"), 21, "ECCENTRICITY",
         "'small' (a string)", "a finite number"),
    Case("json-null", _json_set("INCLINATION", None), 21, "INCLINATION", "null", "a finite number"),
    Case("json-bool", _json_set("BSTAR", True), 21, "BSTAR", "found True", "a finite number"),
    Case("json-ecc-ge-1", _json_set("ECCENTRICITY", 1.0), 21, "ECCENTRICITY", "1.0", "[0, 1)"),
    Case("json-inclination-200", _json_set("INCLINATION", 200.5), 21, "INCLINATION", "200.5",
         "[0, 180]"),
    Case("json-mean-motion-negative", _json_set("MEAN_MOTION", -15.7), 21, "MEAN_MOTION", "-15.7", "> 0"),
    Case("json-catnum-too-big", _json_set("NORAD_CAT_ID", 400000), 21, "NORAD_CAT_ID", "400000",
         "[0, 339999]"),
    Case("json-epoch-format", _json_set("EPOCH", "2020/06/25 12:33:55"), 21, "EPOCH",
         "'2020/06/25 12:33:55'", "YYYY-MM-DDThh:mm:ss"),
    Case("json-epoch-month-13", _json_set("EPOCH", "2020-13-25T12:33:55.142496"), 21, "EPOCH",
         "2020-13-25", "YYYY-MM-DDThh:mm:ss"),
    Case("json-classification", _json_set("CLASSIFICATION_TYPE", "Q"), 21, "CLASSIFICATION_TYPE", "'Q'",
         "U, C or S"),
    Case("json-item-not-object", _json(lambda d: d.__setitem__(1, 42)), 21, "OMM object", "42",
         "a JSON object"),
    Case("json-empty-list", lambda: "[\n]\n", None, "file content", "no records (read as omm-json)",
         "no element sets found", record=False),
    # --- OMM CSV ----------------------------------------------------------------------------------------
    Case("csv-missing-column", _csv(lambda ls: ls.__setitem__(0, ls[0].replace("MEAN_MOTION,", "MM,", 1))),
         1, "CSV header", "MM", "a column MEAN_MOTION", record=False),
    Case("csv-bad-number", _csv_cell("MEAN_MOTION", "fast"), 3, "MEAN_MOTION", "'fast' (a string)",
         "a finite number"),
    Case("csv-empty-required", _csv_cell("BSTAR", ""), 3, "BSTAR", "an empty value", "a finite number"),
    Case("csv-short-row", _csv(lambda ls: ls.__setitem__(2, ls[2].rsplit(",", 2)[0])), 3,
         "MEAN_MOTION_DOT", "no value (the row is short)", "17 values"),
    Case("csv-extra-values", _csv(lambda ls: ls.__setitem__(2, ls[2] + ",1,2")), 3, "CSV row",
         "19 values", "17 values"),
    Case("csv-ecc-ge-1", _csv_cell("ECCENTRICITY", "1.5"), 3, "ECCENTRICITY", "'1.5'", "[0, 1)"),
    # --- OMM XML ----------------------------------------------------------------------------------------
    Case("xml-missing-epoch", _xml("<EPOCH>2020-06-25T12:33:55.142496</EPOCH>", ""), XML_B_LINE, "EPOCH",
         "no such key", "EPOCH (required by SGP4"),
    Case("xml-bad-epoch", _xml("2020-06-25T12:33:55.142496", "2020-400T12:33:55"), XML_B_LINE, "EPOCH",
         "'2020-400T12:33:55'", "YYYY-DDDThh:mm:ss"),
    Case("xml-ecc-ge-1", _xml("<ECCENTRICITY>0.0003039", "<ECCENTRICITY>1.0003039"), XML_B_LINE,
         "ECCENTRICITY", "'1.0003039'", "[0, 1)"),
    Case("xml-mean-motion-text", _xml("<MEAN_MOTION>15.70248923", "<MEAN_MOTION>n/a"), XML_B_LINE,
         "MEAN_MOTION", "'n/a' (a string)", "a finite number"),
    Case("xml-malformed", _xml("</meanElements>", "</meanElement>"), 15, "XML", "mismatched tag",
         "well-formed XML", record=False),
    Case("xml-no-omm", lambda: '<?xml version="1.0"?>\n<ndm><opm/></ndm>\n', 1, "XML", "without <omm>",
         "CCSDS OMM XML", record=False),
]


def test_corpus_is_large_and_distinct():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    contents = [c.content() for c in CASES]
    assert len({c if isinstance(c, bytes) else c.encode() for c in contents}) == len(CASES)


def _write(tmp_path: Path, case: Case) -> Path:
    content = case.content()
    path = tmp_path / "case.dat"          # the extension says nothing: formats are sniffed
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_strict_read_names_line_field_found_expected(tmp_path, case):
    path = _write(tmp_path, case)
    with pytest.raises(ElementSetError) as info:
        load(path)
    err = info.value
    msg = str(err)
    assert err.line == case.line, msg
    assert case.field in err.field, msg
    assert case.found in msg, msg
    assert case.expected in msg, msg
    assert msg.startswith(f"{path}:{case.line}: " if case.line is not None else f"{path}: "), msg


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_lenient_read_keeps_the_rest_and_reports_the_bad_one(tmp_path, case):
    path = _write(tmp_path, case)
    if not case.record:                     # nothing to salvage from a broken file: still an error
        with pytest.raises(ElementSetError):
            load(path, strict=False)
        return
    with pytest.warns(ElementSetWarning, match="skipped"):
        sats = load(path, strict=False)
    assert list(sats.names) == list(case.kept)
    report = sats.report
    assert case.line in [e.line for e in report.skipped], report.lines()
    assert any(case.field in e.field for e in report.skipped)
    # nothing lost: every record of the input is either loaded or in the report
    assert len(sats) + len(report.skipped) >= 3
    assert not report.duplicates


def test_strict_read_reports_the_first_fault_in_file_order(tmp_path):
    lines = list(TLE3)
    lines[5] = put(L2B, 9, "200.0000")          # line 6: inclination
    lines[1] = TLE3[1][:68] + "0" if TLE3[1][68] != "0" else TLE3[1][:68] + "1"   # line 2: checksum
    path = tmp_path / "two_faults.tle"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ElementSetError) as info:
        load(path)
    assert info.value.line == 2 and info.value.field == "line 1 checksum"
    with pytest.warns(ElementSetWarning) as caught:
        sats = load(path, strict=False)
    assert [e.line for e in sats.report.skipped] == [2, 6]
    assert list(sats.names) == [NAMES[2]]
    assert len([w for w in caught if issubclass(w.category, ElementSetWarning)]) == 1
