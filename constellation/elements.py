"""Element-set readers and writers: TLE, 3LE and CCSDS OMM (JSON, CSV, XML), with validation.

Formats are recognised from the content, never from the file extension (see :func:`sniff`):

* **TLE / 3LE**: NORAD two-line element sets, optionally preceded by a name line (with or without a
  leading ``"0 "``).  Column layout and checksum as in CelesTrak's "NORAD Two-Line Element Set Format"
  (https://celestrak.org/NORAD/documentation/tle-fmt.php) and AIAA 2006-6753 (Vallado et al.), including
  Alpha-5 catalogue numbers (``A0001`` = 100001, https://www.space-track.org/documentation#tle-alpha5).
* **OMM** (CCSDS 502.0-B-3, Orbit Data Messages): CelesTrak's JSON (a list of objects or one object), CSV
  (CelesTrak header) and XML (``<ndm><omm>...``, namespaced or not, one or many ``<omm>``), with
  CelesTrak's field names (https://celestrak.org/NORAD/documentation/gp-data-formats.php).

Every record is validated (see ``_TLE_COLUMNS`` for the TLE table, ``_OMM_NUMBERS`` for OMM); a bad one
raises :class:`~constellation.errors.ElementSetError` naming the file, the line (1-based, as an editor
shows it), the field, what was found and what was expected.  With ``strict=False`` bad records are skipped
and listed in a :class:`LoadReport` instead; nothing is dropped silently.

Reading returns a :class:`~constellation.satellite.Constellation` whose ``report`` attribute is the
:class:`LoadReport` (in both modes: duplicated catalogue numbers are never errors, the older element sets
are dropped and reported).  Writers: :func:`format_tle`, :func:`dumps`, :func:`dump`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import numpy as np
from sgp4.api import Satrec
from sgp4.omm import initialize as _omm_initialize

from .errors import ElementSetError
from .satellite import Constellation, Satellite, as_constellation

__all__ = [
    "load", "loads", "sniff", "dump", "dumps", "format_tle", "omm_fields", "LoadReport", "ReportEntry",
    "ElementSetWarning", "FORMATS", "OMM_FIELDS",
]

_DEG2RAD = math.pi / 180.0
_XPDOTP = 1440.0 / (2.0 * math.pi)          # rev/day per rad/min (python-sgp4's constant)
_TWO_PI = 2.0 * math.pi
_ALPHA5 = "ABCDEFGHJKLMNPQRSTUVWXYZ"         # Alpha-5 first characters: A=10 ... Z=33 (no I, no O)


class ElementSetWarning(UserWarning):
    """Issued once per read when records were skipped (``strict=False``) or duplicates dropped."""


class ReportEntry(NamedTuple):
    """One record that was not loaded: where it is, the field at fault and the full message."""

    line: int | None
    field: str
    message: str


@dataclass
class LoadReport:
    """What a read left out, reachable as ``constellation.report`` after :func:`load` / :func:`loads`.

    Attributes
    ----------
    source : str
        The file read (or ``"<string>"``).
    format : str
        The format found: ``"tle"`` (TLE or 3LE), ``"omm-json"``, ``"omm-csv"`` or ``"omm-xml"``.
    loaded : int
        Number of satellites returned.
    skipped : list of ReportEntry
        Bad records skipped (only with ``strict=False``; a strict read raises instead).
    duplicates : list of ReportEntry
        Element sets dropped because the same catalogue number appears with a newer epoch (or, for equal
        epochs, earlier in the file).
    """

    source: str = "<string>"
    format: str = ""
    loaded: int = 0
    skipped: list[ReportEntry] = field(default_factory=list)
    duplicates: list[ReportEntry] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when nothing was skipped or dropped."""
        return not self.skipped and not self.duplicates

    def summary(self) -> str:
        """One line: how many were loaded, skipped and dropped as duplicates."""
        return (f"{self.source}: loaded {self.loaded} element sets, skipped {len(self.skipped)} bad "
                f"record(s), dropped {len(self.duplicates)} duplicate(s)")

    def lines(self) -> list[str]:
        """The summary followed by one line per skipped record and per dropped duplicate."""
        out = [self.summary()]
        out += [f"  skipped: {e.message}" for e in self.skipped]
        out += [f"  duplicate: {e.message}" for e in self.duplicates]
        return out


class _Reader:
    """Collects the satellites of one read and routes record errors (raise, or record in the report)."""

    def __init__(self, source: str, strict: bool, fmt: str):
        self.source, self.strict = source, strict
        self.report = LoadReport(source=source, format=fmt)
        self.records: list[tuple[int | None, Satellite]] = []
        self.errors: list[ElementSetError] = []

    def error(self, line: int | None, fld: str, found: Any, expected: str, note: str = "",
              where: str = "") -> ElementSetError:
        return ElementSetError(f"{where}{fld}: found {found}, expected {expected}{note}", path=self.source,
                               line=line, field=fld, found=str(found), expected=expected)

    def fail(self, err: ElementSetError) -> None:
        """A bad record: kept aside; after the whole file is read, a strict read raises the first one."""
        self.errors.append(err)


# ---------------------------------------------------------------------------------------------------
# Reading: entry points
# ---------------------------------------------------------------------------------------------------

def load(path: str | os.PathLike, strict: bool = True) -> Constellation:
    """Read an element-set file (TLE, 3LE, OMM JSON/CSV/XML; the format is sniffed from the content).

    Parameters
    ----------
    path : str or path-like
    strict : bool
        ``True`` (default): the first bad record raises :class:`~constellation.errors.ElementSetError`.
        ``False``: bad records are skipped, listed in ``result.report.skipped`` and summarised in one
        :class:`ElementSetWarning`.

    Returns
    -------
    Constellation
        Named after the file stem, ``source`` the path as given; satellites have ``launched=True`` and
        ``group=""``.  ``result.report`` is the :class:`LoadReport` (duplicates dropped, records skipped).
        A catalogue number that appears more than once keeps only its newest epoch (both modes).
    """
    from .checks import input_file

    p = input_file(path, "element file", "TLE, 3LE or OMM records")
    data = p.read_bytes()
    return _load_text(_decode(data, str(path)), source=str(path), name=p.stem, strict=strict)


def loads(text: str | bytes, source: str = "<string>", strict: bool = True) -> Constellation:
    """Like :func:`load`, from a string (or bytes) already in memory; ``source`` names it in messages."""
    if isinstance(text, (bytes, bytearray)):
        text = _decode(bytes(text), source)
    name = "" if source.startswith("<") else Path(source).stem
    return _load_text(text, source=source, name=name, strict=strict)


def sniff(text: str) -> str:
    """Return the element-set format of ``text``: ``"omm-json"``, ``"omm-xml"``, ``"omm-csv"``,
    ``"tle"`` (TLE or 3LE) or ``"empty"`` (nothing but whitespace)."""
    s = text.lstrip("\ufeff \t\r\n")
    if not s:
        return "empty"
    if s[0] in "[{":
        return "omm-json"
    if s[0] == "<":
        return "omm-xml"
    first = s.split("\n", 1)[0].upper()
    if "," in first and ("NORAD_CAT_ID" in first or "OBJECT_NAME" in first):
        return "omm-csv"
    return "tle"


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); NUL bytes or invalid UTF-8 mean not an element-set file."""
    bad = data.find(b"\x00")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start if bad < 0 else min(bad, exc.start)
    if bad >= 0:
        line = data.count(b"\n", 0, bad) + 1
        col = bad - (data.rfind(b"\n", 0, bad) + 1) + 1
        raise ElementSetError(f"file content: found byte 0x{data[bad]:02x} at column {col}, expected UTF-8 "
                              f"text (this looks like a binary file, not TLE/3LE/OMM)", path=source,
                              line=line, field="file content", found=f"0x{data[bad]:02x}",
                              expected="UTF-8 text")
    return text


def _load_text(text: str, source: str, name: str, strict: bool) -> Constellation:
    text = text.lstrip("\ufeff")
    fmt = sniff(text)
    if fmt == "empty":
        raise ElementSetError("no element sets found: found an empty or blank file, expected TLE, 3LE or "
                              "OMM records", path=source, field="file content", found="an empty or blank file",
                              expected="TLE, 3LE or OMM records")
    if fmt == "tle":
        _refuse_non_tle(text, source)
    rd = _Reader(source, strict, fmt)
    _PARSERS[fmt](text, rd)
    rd.errors.sort(key=lambda e: e.line or 0)
    if strict and rd.errors:
        raise rd.errors[0]
    rd.report.skipped = [ReportEntry(e.line, e.field, str(e)) for e in rd.errors]
    if not rd.records and not rd.report.skipped:
        raise ElementSetError(f"no element sets found: found no records (read as {fmt}), expected TLE, 3LE "
                              "or OMM records", path=source, field="file content", found="no records",
                              expected="TLE, 3LE or OMM records")
    cons = Constellation(_drop_duplicates(rd), name=name, source=source)
    rd.report.loaded = len(cons)
    cons.report = rd.report
    if not rd.report.clean:
        warnings.warn(ElementSetWarning(
            rd.report.summary() + "; see .report for details" + (
                f" (first: {rd.report.skipped[0].message})" if rd.report.skipped else "")), stacklevel=3)
    return cons


#: The lines (not blank, not comments) that must hold at least one valid TLE line; a file whose first
#: lines hold none is refused at once, so garbage costs time for these lines only, not for its size.
SNIFF_LINES = 1000


def _refuse_non_tle(text: str, source: str) -> None:
    """Raise :class:`ElementSetError` when none of the first :data:`SNIFF_LINES` lines of ``text`` is a
    valid TLE line 1 or line 2 (the file is clearly not an element set)."""
    seen, pos, n = 0, 0, len(text)
    while pos < n and seen < SNIFF_LINES:
        end = text.find("\n", pos)
        end = n if end < 0 else end
        line = text[pos:end].rstrip(" \r")
        pos = end + 1
        if not line.strip() or line[0] == "#":
            continue
        seen += 1
        if line[:2] in ("1 ", "2 ") and (_LINE_MATCH[1](line) or _LINE_MATCH[2](line)):
            return
    if pos >= n:
        return  # the whole file was read: the parser reports what is wrong, line by line
    raise ElementSetError(f"file content: none of the first {SNIFF_LINES} lines is a TLE line 1 or 2 (and the "
                          f"file is no OMM JSON, XML or CSV): this is not an element-set file", path=source,
                          line=1, field="file content", found=f"no TLE line in the first {SNIFF_LINES} lines",
                          expected="TLE, 3LE or OMM records")


def _drop_duplicates(rd: _Reader) -> list[Satellite]:
    """Keep, per catalogue number, the element set with the newest epoch (the first one on ties)."""
    nums = [s.satrec.satnum for _, s in rd.records]
    if len(set(nums)) == len(nums):
        return [s for _, s in rd.records]
    best: dict[int, int] = {}
    keep = [True] * len(rd.records)
    for i, num in enumerate(nums):
        j = best.get(num)
        if j is None:
            best[num] = i
            continue
        r, o = rd.records[i][1].satrec, rd.records[j][1].satrec
        newer = (r.jdsatepoch - o.jdsatepoch) + (r.jdsatepochF - o.jdsatepochF) > 0.0
        lose_i, win_i = (j, i) if newer else (i, j)
        keep[lose_i] = False
        best[num] = win_i
        lose_line, lose = rd.records[lose_i]
        win_line, win = rd.records[win_i]
        rd.report.duplicates.append(ReportEntry(lose_line, "catalogue number", (
            f"{rd.source}:{lose_line}: catalogue number {num} ({lose.name or 'unnamed'}, epoch "
            f"{str(lose.epoch)[:23]}) also at line {win_line} with epoch {str(win.epoch)[:23]}; kept that one")))
    return [s for (_, s), k in zip(rd.records, keep) if k]


# ---------------------------------------------------------------------------------------------------
# TLE / 3LE
# ---------------------------------------------------------------------------------------------------

def _rint(width: int) -> str:
    """Regex for a right-justified unsigned integer exactly ``width`` columns wide."""
    return "(?:" + "|".join(" " * k + rf"\d{{{width - k}}}" for k in range(width)) + ")"


def _rdec(int_width: int, frac: int) -> str:
    """Regex for a right-justified decimal ``III.FFFF`` exactly ``int_width + 1 + frac`` columns wide."""
    return _rint(int_width) + rf"\.\d{{{frac}}}"


_EXP = r"[ +-]\d{5}[+-]\d"                  # implied decimal point and exponent: " 12345-4" = 0.12345e-4
_CATNUM = rf"(?:[{_ALPHA5}]\d{{4}}|{_rint(5)})"


def _is_leap(yy: int) -> bool:
    return yy % 4 == 0                         # 1957-2056: the only century year, 2000, is a leap year


class _Bounds(NamedTuple):
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def describe(self, what: str) -> str:
        if math.isinf(self.hi):
            return f"{what} {'>' if self.lo_open else '>='} {self.lo:g}"
        return (f"{self.lo:g} {'<' if self.lo_open else '<='} {what} {'<' if self.hi_open else '<='} "
                f"{self.hi:g}")

    def holds(self, v: float) -> bool:
        return ((v > self.lo if self.lo_open else v >= self.lo)
                and (v < self.hi if self.hi_open else v <= self.hi))


class _Col(NamedTuple):
    line: int            # 1 or 2
    first: int           # first column, 1-based (as in the format reference)
    last: int            # last column, inclusive
    name: str
    pattern: str         # regex matching exactly last - first + 1 characters
    expected: str
    bounds: _Bounds | None = None   # allowed values; the epoch day also follows the leap-year rule


_ANGLE = _Bounds(0.0, 360.0)

#: Column layout of both TLE lines (CelesTrak, "NORAD Two-Line Element Set Format"; AIAA 2006-6753 app. B).
#: The full-line regexes of the fast path are built from this table, and the field-by-field diagnosis
#: walks it in order, so the two can never disagree on the format.
_TLE_COLUMNS: tuple[_Col, ...] = (
    _Col(1, 1, 1, "line number", "1", "'1'"),
    _Col(1, 2, 2, "column 2", " ", "a space"),
    _Col(1, 3, 7, "catalogue number", _CATNUM, "5 digits or Alpha-5 (a letter other than I/O + 4 digits)"),
    _Col(1, 8, 8, "classification", "[UCS]", "U, C or S"),
    _Col(1, 9, 9, "column 9", " ", "a space"),
    _Col(1, 10, 17, "international designator", r"(?:\d{5}(?:[A-Z]{3}|[A-Z]{2} |[A-Z]  )| {8})",
         "YYNNNPPP (launch year, launch number, piece) or blanks"),
    _Col(1, 18, 18, "column 18", " ", "a space"),
    _Col(1, 19, 20, "epoch year", r"\d\d", "2 digits (57-99: 19xx, 00-56: 20xx)"),
    _Col(1, 21, 32, "epoch day", _rdec(3, 8), "DDD.DDDDDDDD (day of year with 8 decimals)",
         _Bounds(1.0, 367.0, hi_open=True)),
    _Col(1, 33, 33, "column 33", " ", "a space"),
    _Col(1, 34, 43, "mean motion first derivative", r"[ +-]\.\d{8}", "a sign or space then .NNNNNNNN"),
    _Col(1, 44, 44, "column 44", " ", "a space"),
    _Col(1, 45, 52, "mean motion second derivative", _EXP,
         "+NNNNN-E (sign, 5 digits with implied leading decimal point, exponent sign and digit)"),
    _Col(1, 53, 53, "column 53", " ", "a space"),
    _Col(1, 54, 61, "bstar", _EXP,
         "+NNNNN-E (sign, 5 digits with implied leading decimal point, exponent sign and digit)"),
    _Col(1, 62, 62, "column 62", " ", "a space"),
    _Col(1, 63, 63, "ephemeris type", r"\d", "a digit (0 for SGP4 elements)"),
    _Col(1, 64, 64, "column 64", " ", "a space"),
    _Col(1, 65, 68, "element set number", _rint(4), "a right-justified number of up to 4 digits"),
    _Col(1, 69, 69, "checksum", r"\d", "a digit"),
    _Col(2, 1, 1, "line number", "2", "'2'"),
    _Col(2, 2, 2, "column 2", " ", "a space"),
    _Col(2, 3, 7, "catalogue number", _CATNUM, "5 digits or Alpha-5 (a letter other than I/O + 4 digits)"),
    _Col(2, 8, 8, "column 8", " ", "a space"),
    _Col(2, 9, 16, "inclination", _rdec(3, 4), "NNN.NNNN degrees", _Bounds(0.0, 180.0)),
    _Col(2, 17, 17, "column 17", " ", "a space"),
    _Col(2, 18, 25, "RAAN", _rdec(3, 4), "NNN.NNNN degrees", _Bounds(0.0, 360.0)),
    _Col(2, 26, 26, "column 26", " ", "a space"),
    _Col(2, 27, 33, "eccentricity", r"\d{7}", "7 digits with an implied leading decimal point (no '.')"),
    _Col(2, 34, 34, "column 34", " ", "a space"),
    _Col(2, 35, 42, "argument of perigee", _rdec(3, 4), "NNN.NNNN degrees",
         _ANGLE),
    _Col(2, 43, 43, "column 43", " ", "a space"),
    _Col(2, 44, 51, "mean anomaly", _rdec(3, 4), "NNN.NNNN degrees", _ANGLE),
    _Col(2, 52, 52, "column 52", " ", "a space"),
    _Col(2, 53, 63, "mean motion", _rdec(2, 8), "NN.NNNNNNNN rev/day", _Bounds(0.0, math.inf, lo_open=True)),
    _Col(2, 64, 68, "revolution number", _rint(5), "a right-justified number of up to 5 digits"),
    _Col(2, 69, 69, "checksum", r"\d", "a digit"),
)

_LINE_RE = {k: "".join(c.pattern for c in _TLE_COLUMNS if c.line == k) for k in (1, 2)}
_LINE_MATCH = {k: re.compile(p, re.ASCII).fullmatch for k, p in _LINE_RE.items()}  # \d: ASCII digits only
_EPOCH_YEAR = next(c for c in _TLE_COLUMNS if c.name == "epoch year")
#: byte -> checksum value: digits count their value, '-' counts 1, everything else 0.
_CHECKSUM_TABLE = bytes((c - 48) if 48 <= c <= 57 else (1 if c == 45 else 0) for c in range(256))
_CHECKSUM_NP = np.frombuffer(_CHECKSUM_TABLE, dtype=np.uint8)
_PRINTABLE = re.compile(r"[ -~]*")
_twoline2rv = Satrec.twoline2rv


def _checksum(line: str) -> int:
    """TLE checksum of columns 1-68: the sum of the digits, plus 1 for each '-', modulo 10."""
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_TABLE)) % 10


def _catnum_value(text: str) -> int:
    text = text.strip()
    if text[:1] in _ALPHA5:
        return (_ALPHA5.index(text[0]) + 10) * 10000 + int(text[1:])
    return int(text)




def _diagnose_tle(rd: _Reader, l1: str, n1: int, l2: str, n2: int) -> ElementSetError | None:
    """Find the first fault of a TLE pair, walking :data:`_TLE_COLUMNS` (None if the pair is valid)."""
    lines = {1: (l1, n1), 2: (l2, n2)}
    for k, (text, num) in lines.items():
        bad = _PRINTABLE.match(text).end()
        if bad < len(text):
            ch = text[bad]
            what = "a tab" if ch == "\t" else f"character {ch!r}"
            return rd.error(num, f"line {k} characters", f"{what} at column {bad + 1}",
                            "printable ASCII (spaces, not tabs)")
        if len(text) != 69:
            return rd.error(num, f"line {k} length", f"{len(text)} characters",
                            "69 characters (after stripping trailing spaces)")
    for c in _TLE_COLUMNS:
        text, num = lines[c.line]
        value = text[c.first - 1:c.last]
        cols = f"column {c.first}" if c.first == c.last else f"columns {c.first}-{c.last}"
        if not re.fullmatch(c.pattern, value):
            return rd.error(num, f"line {c.line} {c.name}", repr(value), c.expected, f" ({cols})")
    for k, (text, num) in lines.items():
        if int(text[68]) != _checksum(text):
            return rd.error(num, f"line {k} checksum", text[68], str(_checksum(text)),
                            " (computed from columns 1-68)")
    for c in _TLE_COLUMNS:
        text, num = lines[c.line]
        if c.bounds is not None:
            value = text[c.first - 1:c.last]
            v = float(value)
            if not c.bounds.holds(v):
                return rd.error(num, f"line {c.line} {c.name}", repr(value.strip()),
                                c.bounds.describe(c.name))
            if c.name == "epoch day" and v >= 366.0 and not _is_leap(int(l1[18:20])):
                yy = int(l1[18:20])
                return rd.error(num, "line 1 epoch day", repr(value.strip()),
                                f"1 <= epoch day < 366 ({yy + (1900 if yy >= 57 else 2000)} is not a "
                                f"leap year)")
    if _catnum_value(l1[2:7]) != _catnum_value(l2[2:7]):
        return rd.error(n2, "line 2 catalogue number", repr(l2[2:7]),
                        f"{l1[2:7]!r} as on line 1 (line {n1})")
    return None


def _parse_tle(text: str, rd: _Reader) -> None:
    """Read TLE/3LE records: optional name line, line 1, line 2; blank lines and '#' comments ignored.

    Three steps: (1) group the lines into records, reporting orphan and missing lines
    (:func:`_split_tle`); (2) screen all records at once against :data:`_TLE_COLUMNS` (full-line regexes,
    checksums and value ranges, vectorised: :func:`_screen_tle`); (3) parse the records with python-sgp4.
    A record failing the screen goes to :func:`_diagnose_tle`, which names its first faulty field.
    """
    names, l1s, n1s, l2s, n2s = _split_tle(text, rd)
    ok = _screen_tle(l1s, l2s).tolist()
    append, source, twoline2rv = rd.records.append, rd.source, _twoline2rv
    for name, l1, n1, l2, n2, good in zip(names, l1s, n1s, l2s, n2s, ok):
        if not good:
            err = _diagnose_tle(rd, l1, n1, l2, n2)
            if err is not None:
                rd.fail(err)
                continue
        intl = l1[9:17].rstrip()
        object_id = f"{'19' if intl[:2] >= '57' else '20'}{intl[:2]}-{intl[2:]}" if intl else ""
        append((n1, Satellite(twoline2rv(l1, l2), name, "", True, source, object_id)))


def _decimals(col: _Col) -> int:
    """Digits after the decimal point in a column's pattern (0 when it has none)."""
    m = re.search(r"\\\.\\d\{(\d+)\}$", col.pattern)
    return int(m.group(1)) if m else 0


def _column_values(buf: np.ndarray, col: _Col) -> np.ndarray:
    """Value of a fixed-point column in every row of ``buf`` (``(n, 69)`` ASCII codes), times
    ``10**decimals``, as int64; blanks count as zeros (only used on rows that passed the format screen)."""
    sel = buf[:, col.first - 1:col.last].astype(np.int64)
    width, dec = sel.shape[1], _decimals(col)
    weights = np.zeros(width, dtype=np.int64)
    power = 1
    for j in range(width - 1, -1, -1):
        if not (dec and j == width - dec - 1):   # skip the decimal point's column
            weights[j] = power
            power *= 10
    return (np.where((sel >= 48) & (sel <= 57), sel - 48, 0) * weights).sum(axis=1)


def _screen_tle(l1s: list[str], l2s: list[str]) -> np.ndarray:
    """Which records pass every check of :data:`_TLE_COLUMNS` (formats, checksums, ranges, catalogue
    numbers agreeing), all records at once; the rest are diagnosed one by one."""
    n = len(l1s)
    if n == 0:
        return np.zeros(0, dtype=bool)
    ok = np.ones(n, dtype=bool)
    bufs = {}
    for k, lines in ((1, l1s), (2, l2s)):
        match = _LINE_MATCH[k]
        ok &= np.array([match(t) is not None for t in lines], dtype=bool)
    pad = "0" * 69
    for k, lines in ((1, l1s), (2, l2s)):
        text = "".join(lines) if ok.all() else "".join(t if g else pad for t, g in zip(lines, ok))
        buf = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(n, 69)
        ok &= _CHECKSUM_NP[buf[:, :68]].sum(axis=1, dtype=np.int64) % 10 == buf[:, 68].astype(np.int64) - 48
        bufs[k] = buf
    ok &= (bufs[1][:, 2:7] == bufs[2][:, 2:7]).all(axis=1)
    for c in _TLE_COLUMNS:
        if c.bounds is None:
            continue
        v = _column_values(bufs[c.line], c) if ok.any() else np.zeros(n, dtype=np.int64)
        scale = 10 ** _decimals(c)
        b = c.bounds
        lo, hi = round(b.lo * scale), (None if math.isinf(b.hi) else round(b.hi * scale))
        ok &= (v > lo) if b.lo_open else (v >= lo)
        if hi is not None:
            ok &= (v < hi) if b.hi_open else (v <= hi)
        if c.name == "epoch day":
            year = _column_values(bufs[1], _EPOCH_YEAR)
            ok &= (v < 366 * scale) | (year % 4 == 0)
    return ok


def _split_tle(text: str, rd: _Reader) -> tuple[list[str], list[str], list[int], list[str], list[int]]:
    """Group the lines into records: names, line 1s, their line numbers, line 2s, their line numbers.

    Lines are classified at once (``"1 "``, ``"2 "`` or a name); a line 1 must be followed by a line 2,
    a line 2 preceded by a line 1 and a name line followed by a line 1; faults go to ``rd``.  Blank lines
    and lines starting with ``#`` are ignored.
    """
    raw = [t.rstrip(" \r") for t in text.split("\n")]
    if raw[-1] == "":
        raw.pop()
    if "" in raw or "\t" in text or "\n#" in text or text.startswith("#"):
        keep = [i for i, t in enumerate(raw) if t.strip() and t[0] != "#"]   # the general way
        lines = [raw[i] for i in keep]
        number = np.array(keep, dtype=np.int64) + 1                      # 1-based line numbers
    else:                                                                # the usual case: no blank lines
        lines = raw
        number = np.arange(1, len(lines) + 1, dtype=np.int64)
    head = np.array([t[:2] for t in lines], dtype="<U2")
    is1, is2 = head == "1 ", head == "2 "
    is_name = ~(is1 | is2)
    next2, next1, prev1 = (np.zeros(len(lines), dtype=bool) for _ in range(3))
    next2[:-1], next1[:-1], prev1[1:] = is2[1:], is1[1:], is1[:-1]
    first = np.flatnonzero(is1 & next2)
    names = ["" if k == 0 or not is_name[k - 1] else lines[k - 1] for k in first.tolist()]
    names = [_clean_name(t) if t[:1] in (" ", "0") else t for t in names]
    l1s = [lines[k] for k in first.tolist()]
    l2s = [lines[k + 1] for k in first.tolist()]
    faults = np.flatnonzero((is1 & ~next2) | (is2 & ~prev1) | (is_name & ~next1))
    if faults.size:
        _structure_faults(lines, number, faults.tolist(), is1, is2, rd)
    return names, l1s, number[first].tolist(), l2s, number[first + 1].tolist()


def _clean_name(line: str) -> str:
    """A 3LE name line without its padding and without a leading ``"0 "``."""
    name = line.strip()
    return name[2:].strip() if name[:2] == "0 " else name


def _structure_faults(lines: list[str], number: np.ndarray, faults: list[int], is1: np.ndarray,
                      is2: np.ndarray, rd: _Reader) -> None:
    """Report lines that do not fit the name / line 1 / line 2 sequence, one message per broken record."""
    n = len(lines)
    is_name = ~(is1 | is2)
    done: set[int] = set()

    def report(k: int, fld: str, found: str, expected: str, note: str = "", covers: tuple[int, ...] = ()):
        rd.fail(rd.error(int(number[k]), fld, found, expected, note))
        done.update((k, *covers))

    def name_before(k: int) -> tuple[int, ...]:
        return (k - 1,) if k > 0 and is_name[k - 1] else ()

    def damaged_line1(j: int) -> bool:     # a line 1 whose first columns are damaged reads as a name
        return (0 <= j < n - 1 and is_name[j] and is2[j + 1] and len(lines[j]) == 69
                and lines[j][2:7] == lines[j + 1][2:7])

    for k in faults:
        if k in done:
            continue
        line = lines[k]
        nxt = f"line {int(number[k + 1])} {lines[k + 1][:20]!r}" if k + 1 < n else "end of file"
        if is2[k] and k + 1 < n and is1[k + 1] and lines[k + 1][2:7] == line[2:7]:
            report(k, "line order", f"line 2 of catalogue number {line[2:7]!r} before its line 1",
                   "line 1 then line 2", covers=(k + 1, *name_before(k)))
        elif is2[k] and damaged_line1(k - 1):
            report(k - 1, "line 1 line number", repr(lines[k - 1][:2]), "'1 '",
                   " (columns 1-2; this looks like line 1 of the element set below)",
                   covers=(k, *name_before(k - 1)))
        elif is1[k]:
            report(k, "line 2", nxt, f"line 2 of catalogue number {line[2:7]!r} (starting '2 ') after "
                   "line 1", covers=name_before(k))
        elif is2[k]:
            report(k, "line 1", f"line 2 of catalogue number {line[2:7]!r} alone",
                   "line 1 (starting '1 ') before line 2", covers=name_before(k))
        elif (k + 1 < n and is2[k + 1] and k + 1 in faults) or damaged_line1(k + 1):
            continue                  # reported with the line(s) after this name
        else:
            report(k, "name line", f"{line[:30]!r} followed by {nxt}",
                   "TLE line 1 (starting '1 ') after a name line")


# ---------------------------------------------------------------------------------------------------
# OMM (CCSDS 502.0-B-3) in CelesTrak's JSON, CSV and XML forms
# ---------------------------------------------------------------------------------------------------

#: Numeric OMM fields SGP4 needs, with the range each must lie in (None: any finite number).
_OMM_NUMBERS: dict[str, tuple[Callable[[float], bool], str] | None] = {
    "MEAN_MOTION": (lambda v: v > 0.0, "a number > 0 (rev/day)"),
    "ECCENTRICITY": (lambda v: 0.0 <= v < 1.0, "a number in [0, 1)"),
    "INCLINATION": (lambda v: 0.0 <= v <= 180.0, "a number in [0, 180] (degrees)"),
    "RA_OF_ASC_NODE": (lambda v: 0.0 <= v <= 360.0, "a number in [0, 360] (degrees)"),
    "ARG_OF_PERICENTER": (lambda v: 0.0 <= v <= 360.0, "a number in [0, 360] (degrees)"),
    "MEAN_ANOMALY": (lambda v: 0.0 <= v <= 360.0, "a number in [0, 360] (degrees)"),
    "BSTAR": None,
    "MEAN_MOTION_DOT": None,
    "MEAN_MOTION_DDOT": None,
}
#: Integer OMM fields: (smallest, largest, default when absent; None = required).
_OMM_INTEGERS: dict[str, tuple[int, int, int | None]] = {
    "NORAD_CAT_ID": (0, 339999, None),          # 339999 = "Z9999", the largest Alpha-5 number
    "EPHEMERIS_TYPE": (0, 9, 0),
    "ELEMENT_SET_NO": (0, 9999, 999),
    "REV_AT_EPOCH": (0, 99999999, 0),
}
_OMM_REQUIRED = ("EPOCH", *_OMM_NUMBERS, "NORAD_CAT_ID")
_EPOCH_RE = re.compile(r"(\d{4})-(?:(\d\d)-(\d\d)|(\d{3}))T(\d\d):(\d\d):(\d\d)(\.\d+)?Z?", re.ASCII)
_OBJECT_ID_RE = re.compile(r"(\d{4})-(\d{3})([A-Z]{1,3})", re.ASCII)


def _omm_epoch(text: str) -> datetime | None:
    """CCSDS epoch ``YYYY-MM-DDThh:mm:ss[.f]`` or ``YYYY-DDDThh:mm:ss[.f]`` (UTC) -> datetime (1 us)."""
    m = _EPOCH_RE.fullmatch(text.strip())
    if not m:
        return None
    year, month, day, doy, hh, mi, ss, frac = m.groups()
    try:
        if doy is not None:
            base = datetime(int(year), 1, 1) + timedelta(days=int(doy) - 1)
            if not 1 <= int(doy) <= 366 or base.year != int(year):
                return None
        else:
            base = datetime(int(year), int(month), int(day))
        if int(hh) > 23 or int(mi) > 59 or int(ss) > 60:
            return None
        return base + timedelta(hours=int(hh), minutes=int(mi), seconds=int(ss) + float(frac or 0.0))
    except ValueError:
        return None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"{value!r} (a string)" if value.strip() else "an empty value"
    return repr(value)


def _omm_record(fields: dict[str, Any], rd: _Reader, line: int | None, where: str) -> Satellite:
    """Validate one OMM record (values may be JSON numbers or text) and build its satellite."""
    missing = [k for k in _OMM_REQUIRED if k not in fields]
    if missing:
        raise rd.error(line, missing[0], "no such key", f"{missing[0]} (required by SGP4; "
                       f"missing: {', '.join(missing)})", where=where)
    numbers: dict[str, float] = {}
    for key, rule in _OMM_NUMBERS.items():
        raw = fields[key]
        value = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        elif isinstance(raw, str):
            with contextlib.suppress(ValueError):
                value = float(raw)
        if value is None or not math.isfinite(value):
            raise rd.error(line, key, _describe(raw), "a finite number", where=where)
        if rule is not None and not rule[0](value):
            raise rd.error(line, key, repr(raw), rule[1], where=where)
        numbers[key] = value
    ints: dict[str, int] = {}
    for key, (lo, hi, default) in _OMM_INTEGERS.items():
        raw = fields.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if default is None:
                raise rd.error(line, key, _describe(raw), "an integer", where=where)
            ints[key] = default
            continue
        value = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and raw.strip().isdigit():
            value = int(raw)
        if value is None or not lo <= value <= hi:
            raise rd.error(line, key, _describe(raw), f"an integer in [{lo}, {hi}]", where=where)
        ints[key] = value
    raw_epoch = fields["EPOCH"]
    epoch = _omm_epoch(raw_epoch) if isinstance(raw_epoch, str) else None
    if epoch is None:
        raise rd.error(line, "EPOCH", _describe(raw_epoch),
                       "UTC time as YYYY-MM-DDThh:mm:ss[.ffffff] (or YYYY-DDDThh:mm:ss)", where=where)
    cls = str(fields.get("CLASSIFICATION_TYPE") or "U").strip() or "U"
    if cls not in ("U", "C", "S"):
        raise rd.error(line, "CLASSIFICATION_TYPE", repr(cls), "U, C or S", where=where)
    name = str(fields.get("OBJECT_NAME") or "").strip()
    if name[:2] == "0 ":
        name = name[2:].strip()
    object_id = str(fields.get("OBJECT_ID") or "").strip()
    normalized = {
        **numbers, **ints, "CLASSIFICATION_TYPE": cls,
        "OBJECT_ID": object_id if _OBJECT_ID_RE.fullmatch(object_id) else "",
        "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
    }
    satrec = Satrec()
    _omm_initialize(satrec, normalized)
    return Satellite(satrec, name=name, group="", launched=True, source=rd.source, object_id=object_id)


def _lines_of(text: str, offsets: list[int]) -> list[int]:
    """1-based line numbers of increasing character ``offsets`` in ``text`` (one pass)."""
    out, line, prev = [], 1, 0
    for off in offsets:
        line += text.count("\n", prev, off)
        out.append(line)
        prev = off
    return out


def _json_object_lines(text: str) -> list[int]:
    """Line (1-based) where each top-level object of a JSON list (or the single object) starts."""
    decoder, ws = json.JSONDecoder(), re.compile(r"[ \t\r\n]*")
    i = ws.match(text, 0).end()
    if text[i:i + 1] != "[":
        return _lines_of(text, [i])
    starts, i = [], i + 1
    while True:
        i = ws.match(text, i).end()
        if text[i:i + 1] in ("]", ""):
            return _lines_of(text, starts)
        starts.append(i)
        _, i = decoder.raw_decode(text, i)
        i = ws.match(text, i).end()
        if text[i:i + 1] == ",":
            i += 1


def _parse_omm_json(text: str, rd: _Reader) -> None:
    """CelesTrak OMM JSON: a list of objects with CCSDS OMM keywords as keys, or one such object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise rd.error(exc.lineno, "JSON", f"{exc.msg} at column {exc.colno}",
                       "valid JSON (a list of OMM objects, or one object)") from None
    except RecursionError:  # a document nested thousands deep: no element set is
        raise rd.error(1, "JSON", "objects or lists nested too deeply to read",
                       "a list of OMM objects, or one object") from None
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise rd.error(1, "JSON", f"a {type(data).__name__}", "a list of OMM objects, or one object")
    lines = _json_object_lines(text)
    for k, obj in enumerate(items):
        try:
            if not isinstance(obj, dict):
                raise rd.error(lines[k], "OMM object", _describe(obj), "a JSON object {...}",
                               where=f"object [{k}] ")
            rd.records.append((lines[k], _omm_record(obj, rd, lines[k], f"object [{k}] ")))
        except ElementSetError as exc:
            rd.fail(exc)


def _parse_omm_csv(text: str, rd: _Reader) -> None:
    """CelesTrak OMM CSV: a header row of OMM keywords, then one row per object."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\r\n \t")))
    skipped_lines = len(text) - len(text.lstrip("\r\n \t"))
    offset = text.count("\n", 0, skipped_lines)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [k for k in _OMM_REQUIRED if k not in header]
    if missing:
        raise rd.error(1 + offset, "CSV header", f"columns {','.join(header)}",
                       f"a column {missing[0]} (missing: {', '.join(missing)})")
    for row in reader:
        line = reader.line_num + offset
        try:
            if None in row:
                raise rd.error(line, "CSV row", f"{len(header) + len(row[None])} values",
                               f"{len(header)} values, one per header column")
            short = [k for k, v in row.items() if v is None]
            if short:
                raise rd.error(line, short[0], "no value (the row is short)",
                               f"{len(header)} values, one per header column")
            rd.records.append((line, _omm_record(row, rd, line, "")))
        except ElementSetError as exc:
            rd.fail(exc)


_OMM_TAG_RE = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?omm[\s>/]")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_omm_xml(text: str, rd: _Reader) -> None:
    """CCSDS OMM XML (``<ndm><omm>...</omm></ndm>``, or a lone ``<omm>``), with or without namespaces."""
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        line, col = exc.position
        raise rd.error(line, "XML", f"{str(exc).split(':')[0]} at column {col + 1}",
                       "well-formed XML (CCSDS OMM, <ndm><omm>...</omm></ndm>)") from None
    omms = [el for el in root.iter() if _local(el.tag) == "omm"]
    if not omms:
        raise rd.error(1, "XML", f"root <{_local(root.tag)}> without <omm> elements",
                       "CCSDS OMM XML (<ndm><omm>...</omm></ndm>)")
    tag_lines = _lines_of(text, [m.start() for m in _OMM_TAG_RE.finditer(text)])
    for k, omm in enumerate(omms):
        line = tag_lines[k] if k < len(tag_lines) else None
        fields = {_local(el.tag): (el.text or "").strip() for el in omm.iter() if len(el) == 0}
        try:
            rd.records.append((line, _omm_record(fields, rd, line, f"<omm> #{k + 1} ")))
        except ElementSetError as exc:
            rd.fail(exc)


_PARSERS: dict[str, Callable[[str, _Reader], None]] = {
    "tle": _parse_tle, "omm-json": _parse_omm_json, "omm-csv": _parse_omm_csv, "omm-xml": _parse_omm_xml,
}


# ---------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------

#: CelesTrak's OMM field names, in CelesTrak's order (JSON and CSV).
OMM_FIELDS = (
    "OBJECT_NAME", "OBJECT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER", "MEAN_ANOMALY", "EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID",
    "ELEMENT_SET_NO", "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT",
)

FORMATS = ("tle", "3le", "omm-json", "omm-csv")


def _implied_exponent(value: float, what: str) -> str:
    """Format ``value`` in the TLE's 8-column implied-decimal form ``±NNNNN±E`` (= ±0.NNNNN x 10^±E)."""
    if value == 0.0 or abs(value) < 0.5e-14:
        return " 00000+0"
    mantissa, exp = f"{abs(value):.4e}".split("e")      # d.dddd e±XX  ->  0.ddddd x 10^(XX+1)
    exp_i = int(exp) + 1
    if exp_i > 9:
        raise ValueError(f"{what} = {value!r} is too large for the TLE's implied-exponent field")
    if exp_i < -9:
        return " 00000+0"                               # below 1e-10: the field cannot carry it
    sign = "-" if value < 0 else " "
    return f"{sign}{mantissa.replace('.', '')}{'-' if exp_i < 0 else '+'}{abs(exp_i)}"


def _angle_deg(rad: float, what: str, upper: float = 360.0) -> str:
    deg = rad / _DEG2RAD
    if upper == 360.0:
        deg %= 360.0
    elif not 0.0 <= deg <= upper:
        raise ValueError(f"{what} = {deg!r} deg is outside [0, {upper:g}]")
    text = f"{deg:8.4f}"
    return "  0.0000" if text == "360.0000" else text


def format_tle(sat: Satellite | Satrec) -> tuple[str, str]:
    """Return the two 69-character TLE lines (with checksums) for ``sat``.

    Column layout of CelesTrak's "NORAD Two-Line Element Set Format" (the same fields
    :func:`sgp4.exporter.export_tle` writes; this version also checks that every value fits its columns
    and wraps angles into [0, 360)).  Values carry the format's precision: 1e-4 deg for angles, 1e-7 for
    eccentricity, 1e-8 rev/day for mean motion and 1e-8 day for the epoch.  Revolution and element-set
    numbers are written modulo 100000 and 10000 (their fields are 5 and 4 digits wide).

    Raises ``ValueError`` when a value cannot be written in its field (e.g. eccentricity >= 1, mean motion
    >= 100 rev/day).
    """
    r = sat.satrec if isinstance(sat, Satellite) else sat
    satnum = str(r.satnum_str)
    cls = (getattr(r, "classification", "U") or "U").strip() or "U"
    intl = (getattr(r, "intldesg", "") or "").strip()
    if len(intl) > 8:
        raise ValueError(f"international designator {intl!r} is longer than 8 characters")
    ndot = r.ndot * (_XPDOTP * 1440.0)                  # rev/day^2, already divided by 2
    if abs(ndot) >= 1.0:
        raise ValueError(f"first derivative of mean motion {ndot!r} rev/day^2 does not fit the TLE field")
    ndot_txt = f"{ndot:.8f}".replace("0.", ".", 1)
    ndot_txt = ndot_txt if ndot_txt.startswith("-") else " " + ndot_txt
    if ndot_txt == "-.00000000":
        ndot_txt = " .00000000"
    nddot = r.nddot * (_XPDOTP * 1440.0 * 1440.0)       # rev/day^3, already divided by 6
    line1 = (f"1 {satnum}{cls} {intl:<8} {r.epochyr % 100:02d}{r.epochdays:012.8f} {ndot_txt} "
             f"{_implied_exponent(nddot, 'nddot')} {_implied_exponent(r.bstar, 'bstar')} "
             f"{int(getattr(r, 'ephtype', 0) or 0) % 10} {int(getattr(r, 'elnum', 0) or 0) % 10000:4d}")
    ecc = round(r.ecco * 1e7)
    if not 0 <= ecc < 10_000_000:
        raise ValueError(f"eccentricity {r.ecco!r} is outside [0, 1)")
    mm = r.no_kozai * _XPDOTP
    if not 0.0 < mm < 100.0:
        raise ValueError(f"mean motion {mm!r} rev/day is outside (0, 100)")
    line2 = (f"2 {satnum} {_angle_deg(r.inclo, 'inclination', 180.0)} {_angle_deg(r.nodeo, 'RAAN')} "
             f"{ecc:07d} {_angle_deg(r.argpo, 'argument of perigee')} {_angle_deg(r.mo, 'mean anomaly')} "
             f"{mm:11.8f}{int(r.revnum) % 100000:5d}")
    if len(line1) != 68 or len(line2) != 68:  # pragma: no cover - guards the layout above
        raise ValueError(f"element set of {satnum} does not fit the TLE columns: {line1!r} / {line2!r}")
    return line1 + str(_checksum(line1)), line2 + str(_checksum(line2))


def _sig(value: float, digits: int = 13) -> float | int:
    """``value`` rounded to ``digits`` significant digits (drops float noise from unit conversions);
    exactly zero is written as the integer 0, as CelesTrak does."""
    return 0 if value == 0.0 else float(f"{value:.{digits - 1}e}")


def _epoch_datetime(r: Satrec) -> datetime:
    year = r.epochyr % 100
    year += 2000 if year < 57 else 1900
    return datetime(year, 1, 1) + timedelta(days=r.epochdays - 1.0)


def omm_fields(sat: Satellite | Satrec) -> dict[str, Any]:
    """Return CelesTrak's OMM fields (CCSDS 502.0-B-3 keywords, CelesTrak order) for ``sat``.

    Units as CelesTrak: rev/day, degrees, BSTAR in 1/earth radii, MEAN_MOTION_DOT in rev/day^2 (divided by
    2) and MEAN_MOTION_DDOT in rev/day^3 (divided by 6); conversions as :func:`sgp4.exporter.export_omm`,
    with values rounded to 13 significant digits so TLE-derived values print as the TLE had them.
    """
    if isinstance(sat, Satellite):
        r, name, object_id = sat.satrec, sat.name, sat.object_id
    else:
        r, name, object_id = sat, "", ""
    object_id = object_id or _object_id_from_intldesg(getattr(r, "intldesg", "") or "")
    epoch = _epoch_datetime(r)
    return {
        "OBJECT_NAME": name,
        "OBJECT_ID": object_id,
        "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": _sig(r.no_kozai * _XPDOTP),
        "ECCENTRICITY": _sig(r.ecco),
        "INCLINATION": _sig(r.inclo / _DEG2RAD),
        "RA_OF_ASC_NODE": _sig(r.nodeo / _DEG2RAD),
        "ARG_OF_PERICENTER": _sig(r.argpo / _DEG2RAD),
        "MEAN_ANOMALY": _sig(r.mo / _DEG2RAD),
        "EPHEMERIS_TYPE": int(getattr(r, "ephtype", 0) or 0),
        "CLASSIFICATION_TYPE": (getattr(r, "classification", "U") or "U").strip() or "U",
        "NORAD_CAT_ID": int(r.satnum),
        "ELEMENT_SET_NO": int(getattr(r, "elnum", 0) or 0),
        "REV_AT_EPOCH": int(r.revnum),
        "BSTAR": _sig(r.bstar),
        "MEAN_MOTION_DOT": _sig(r.ndot * (_XPDOTP * 1440.0)),
        "MEAN_MOTION_DDOT": _sig(r.nddot * (_XPDOTP * 1440.0 * 1440.0)),
    }


def _object_id_from_intldesg(intl: str) -> str:
    """TLE international designator (columns 10-17, ``"98067A"``) -> OMM OBJECT_ID (``"1998-067A"``)."""
    intl = intl.strip()
    if len(intl) < 6 or not intl[:5].isdigit():
        return ""
    yy = int(intl[:2])
    return f"{yy + (1900 if yy >= 57 else 2000)}-{intl[2:5]}{intl[5:]}"


def _csv_value(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def dumps(sats: Any, fmt: str = "3le") -> str:
    """Return ``sats`` (a :class:`Constellation` or anything :func:`as_constellation` accepts) as text.

    ``fmt``: ``"tle"`` (two lines per satellite), ``"3le"`` (a name line, without ``"0 "`` unless the name
    itself begins ``"0 "``, ``"1 "`` or ``"2 "``, then the two
    lines; satellites with no name get no name line), ``"omm-json"`` (a CelesTrak-style JSON list) or
    ``"omm-csv"`` (CelesTrak's CSV header and column order).  Lines end with ``"\\n"``.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown element-set format {fmt!r}; expected one of {', '.join(FORMATS)}")
    cons = as_constellation(sats)
    if fmt in ("tle", "3le"):
        out: list[str] = []
        for s in cons:
            l1, l2 = format_tle(s)
            if fmt == "3le" and s.name:
                # a name that could pass for a TLE line, or that starts like a "0 " name line, gets the
                # "0 " prefix (the reader strips it), so it reads back as this satellite's name
                out.append("0 " + s.name if s.name[:2] in ("0 ", "1 ", "2 ") else s.name)
            out += (l1, l2)
        return "".join(line + "\n" for line in out)
    rows = [omm_fields(s) for s in cons]
    if fmt == "omm-json":
        return json.dumps(rows, indent=4) + "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(OMM_FIELDS)
    for row in rows:
        writer.writerow([_csv_value(row[k]) for k in OMM_FIELDS])
    return buf.getvalue()


def dump(sats: Any, dest: str | os.PathLike | TextIO, fmt: str = "3le") -> None:
    """Write ``sats`` to ``dest`` (a path, or an open text file) in format ``fmt`` (see :func:`dumps`).

    Writing to a path is atomic (:func:`constellation.atomic.write_text`): the text goes to a temporary file
    in the same folder, which then replaces ``dest``, so readers never see a half-written file.
    """
    text = dumps(sats, fmt)
    if hasattr(dest, "write"):
        dest.write(text)
        return
    from .atomic import write_text

    write_text(dest, text)
