"""Argument checks at the public boundary: each returns the value in the form the code below wants, or
raises an error that names the argument, what was expected and what was given.

Type errors are ``TypeError``; wrong values are ``ValueError``.  Both print as one line on the command
line (exit code 2), so nothing below the boundary ever sees NaN, infinity, a negative count or an object
of the wrong kind.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["number", "whole", "finite_array", "pair", "sanitize", "input_file", "read_text_file", "parse_nested"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within ``[low, high]`` (``low_open`` / ``high_open`` exclude the
    ends); ``name`` is the argument's name in the message."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {_show(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v}")
    too_low = low is not None and (v <= low if low_open else v < low)
    too_high = high is not None and (v >= high if high_open else v > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        raise ValueError(f"{name} must be {' and '.join(s for s in (lo, hi) if s)}, got {v:g}")
    return v


def whole(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int (a float with a whole value is accepted) within ``[low, high]``."""
    v = number(value, name)
    if v != int(v):
        raise ValueError(f"{name} must be a whole number, got {v:g}")
    return int(number(int(v), name, low=low, high=high))


def finite_array(value: Any, name: str, *, low: float | None = None, high: float | None = None) -> np.ndarray:
    """``value`` as a float64 array (at least 1-D) of finite numbers within ``[low, high]``."""
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers, got {_show(value)}") from None
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= arr < low
    if high is not None:
        bad |= arr > high
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        span = "" if low is None and high is None else f" in [{low:g}, {high:g}]"
        raise ValueError(f"{name} must be finite numbers{span}; entry {i} is {arr.ravel()[i]:g}")
    return arr


def pair(value: Any, name: str) -> tuple[Any, Any]:
    """``value`` as a pair ``(a, b)``; anything else (a scalar, one or three items) is refused."""
    try:
        n = len(value)
    except TypeError:
        n = -1
    if isinstance(value, (str, bytes)) or n != 2:
        raise ValueError(f"{name} must be a pair (a, b), got {_show(value)}")
    return value[0], value[1]


def sanitize(text: Any) -> str:
    """``text`` made safe for a terminal: control characters (C0, DEL, C1, which carry escape sequences
    such as ANSI colour codes), and Unicode format characters that reorder text (bidirectional
    overrides), are shown as escapes (``\\x1b``, ``\\u202e``); everything else is kept as it is."""
    s = str(text)
    if s.isprintable():
        return s
    import unicodedata

    out = []
    for ch in s:
        if ch.isprintable() or (ch == " "):
            out.append(ch)
        elif unicodedata.category(ch) in ("Zs",):
            out.append(" ")
        else:
            o = ord(ch)
            out.append(f"\\x{o:02x}" if o < 0x100 else (f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"))
    return "".join(out)


def input_file(path: Any, what: str, expected: str) -> Path:
    """``path`` as a :class:`~pathlib.Path` to an existing regular file, or an error naming ``what`` (``"sites
    file"``), the path and what was ``expected`` there: ``FileNotFoundError`` for a missing path,
    ``IsADirectoryError`` for a folder, ``TypeError`` for something that is not a path."""
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what} must be a file path, got {type(path).__name__}")
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"{what} {str(p)!r} is a directory, expected {expected}")
    if not p.exists():
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist (expected {expected})")
    return p


def read_text_file(path: Any, what: str, expected: str, *, encoding: str = "utf-8-sig") -> str:
    """The text of the file ``path`` (:func:`input_file`), decoded as UTF-8; bytes that are not UTF-8 (a
    binary file, UTF-16) are a ``ValueError`` naming the file, the byte and its offset, and ``expected``;
    a file that cannot be opened is an ``OSError`` naming it."""
    p = input_file(path, what, expected)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise type(exc)(exc.errno, f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {str(p)!r}: found byte 0x{raw[exc.start]:02x} at byte {exc.start}, expected "
                         f"UTF-8 text ({expected}); this looks like a binary file") from None


def parse_nested(parse: Any, text: str, label: str, expected: str) -> Any:
    """``parse(text)`` (``json.loads``, ``tomllib.loads``), with a document nested too deeply for the parser
    (``RecursionError``) reported as a ``ValueError`` naming ``label`` and what was ``expected``."""
    try:
        return parse(text)
    except RecursionError:
        raise ValueError(f"{label}: found arrays or tables nested too deeply to read, expected {expected}") from None
