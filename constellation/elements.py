"""Element-set readers and writers (TLE, 3LE, OMM JSON/CSV/XML).

Bootstrap version: plain TLE/3LE only.  The full reader replaces this module.
"""

from __future__ import annotations

from pathlib import Path

from sgp4.api import Satrec

from .satellite import Constellation, Satellite

__all__ = ["load"]


def load(path: str | Path, strict: bool = True) -> Constellation:
    """Read a TLE or 3LE file and return a :class:`Constellation`."""
    lines = [ln.rstrip() for ln in Path(path).read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    sats, name, i = [], "", 0
    while i < len(lines):
        if lines[i].startswith("1 ") and i + 1 < len(lines) and lines[i + 1].startswith("2 "):
            sats.append(Satellite(Satrec.twoline2rv(lines[i], lines[i + 1]), name=name, source=str(path)))
            name, i = "", i + 2
        else:
            name = lines[i][2:].strip() if lines[i].startswith("0 ") else lines[i].strip()
            i += 1
    return Constellation(sats, name=Path(path).stem, source=str(path))
