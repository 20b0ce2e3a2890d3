"""Satellites and constellations: element sets with the metadata analysts select by.

A :class:`Satellite` wraps one python-sgp4 :class:`~sgp4.api.Satrec` (the initialised SGP4 state for one
element set) together with the name, sub-constellation ``group`` and ``launched`` flag.  A
:class:`Constellation` is an immutable sequence of satellites with vectorised views of that metadata and
selection by group, flag, mask or name.  Everything downstream (propagation, coverage, passes, DOP) takes a
``Constellation``; a single ``Satrec``, a Skyfield ``EarthSatellite`` or a list of either is accepted too
(see :func:`as_constellation`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

import numpy as np
from sgp4.api import Satrec, SatrecArray

__all__ = ["Satellite", "Constellation", "as_constellation", "satrec_epoch"]

_JD_UNIX_EPOCH = 2440587.5
_NS_PER_DAY = 86_400_000_000_000


def satrec_epoch(satrec: Satrec) -> np.datetime64:
    """Return the element-set epoch of ``satrec`` as UTC ``datetime64[ns]`` (rounded to the microsecond).

    TLE/OMM epochs are UTC (AIAA 2006-6753, section 3); python-sgp4 keeps them as a two-part Julian date
    ``jdsatepoch + jdsatepochF``.
    """
    days = (satrec.jdsatepoch - _JD_UNIX_EPOCH) + satrec.jdsatepochF
    whole = np.floor(days)
    ns = int(whole) * _NS_PER_DAY + int(round((days - whole) * 86_400_000_000)) * 1000
    return np.datetime64(ns, "ns")


@dataclass(frozen=True, eq=False)
class Satellite:
    """One satellite: an initialised SGP4 element set plus the metadata used to select it.

    Attributes
    ----------
    satrec : sgp4.api.Satrec
        The initialised SGP4 model (WGS-72 constants, as in the element set's own theory).
    name : str
        Object name (``OBJECT_NAME`` / the 3LE name line); empty when the source had none.
    group : str
        Sub-constellation or shell label (for the Jinan-368 plan: ``"eo"``, ``"comm"``, ``"nav"``).
    launched : bool
        Whether the satellite is in orbit (``True`` for anything read from a real catalogue).
    source : str
        Where the element set came from (a file path, ``"design:..."``), kept for provenance.
    object_id : str
        International designator (``OBJECT_ID``, e.g. ``"1998-067A"``), when known.
    """

    satrec: Satrec
    name: str = ""
    group: str = ""
    launched: bool = True
    source: str = ""
    object_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def catalog_number(self) -> int:
        """NORAD catalogue number as an integer (Alpha-5 numbers decoded, e.g. ``"A0000"`` -> 100000)."""
        return int(self.satrec.satnum)

    @property
    def catalog_id(self) -> str:
        """The catalogue number exactly as written in a TLE (five characters, Alpha-5 where needed)."""
        return str(self.satrec.satnum_str)

    @property
    def epoch(self) -> np.datetime64:
        """Element-set epoch, UTC ``datetime64[ns]``."""
        return satrec_epoch(self.satrec)

    def with_(self, **changes: Any) -> Satellite:
        """Return a copy with some attributes replaced (``sat.with_(group="eo")``)."""
        return replace(self, **changes)

    def to_skyfield(self, ts: Any = None):
        """Return a Skyfield :class:`~skyfield.sgp4lib.EarthSatellite` for this element set."""
        from skyfield.api import EarthSatellite, load

        return EarthSatellite.from_satrec(self.satrec, ts or load.timescale(builtin=True))

    def __repr__(self) -> str:
        flag = "" if self.launched else ", planned"
        grp = f", group={self.group!r}" if self.group else ""
        return f"Satellite({self.name!r}, catalog_number={self.catalog_number}{grp}{flag})"


class Constellation(Sequence[Satellite]):
    """An immutable, ordered set of satellites with vectorised metadata and selection.

    Index it like a sequence (``c[0]``, ``c[10:20]``), with an integer array, or with a boolean mask;
    select by metadata with :meth:`select`.  ``len(c)`` is the number of satellites.

    Parameters
    ----------
    satellites : iterable of Satellite
    name : str
        A label for the whole set (used in plot titles and output metadata).
    source : str
        Where the set came from (file path or ``"design:jinan368"``), recorded in output ``attrs``.
    """

    def __init__(self, satellites: Iterable[Satellite], name: str = "", source: str = ""):
        self._sats: tuple[Satellite, ...] = tuple(satellites)
        for s in self._sats:
            if not isinstance(s, Satellite):
                raise TypeError(f"Constellation items must be Satellite objects, got {type(s).__name__}")
        self.name = name
        self.source = source
        self._satrec_array: SatrecArray | None = None

    # -- sequence protocol -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._sats)

    def __iter__(self) -> Iterator[Satellite]:
        return iter(self._sats)

    @overload
    def __getitem__(self, key: int) -> Satellite: ...
    @overload
    def __getitem__(self, key: slice | np.ndarray | Sequence[int] | Sequence[bool]) -> Constellation: ...

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self._sats[int(key)]
        if isinstance(key, slice):
            return self._derive(self._sats[key])
        idx = np.asarray(key)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise IndexError(f"boolean mask has shape {idx.shape}, expected ({len(self)},)")
            idx = np.flatnonzero(idx)
        elif idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise IndexError(f"cannot index a Constellation with an array of {idx.dtype}")
        return self._derive([self._sats[int(i)] for i in idx.ravel()])

    def _derive(self, sats: Iterable[Satellite]) -> Constellation:
        return Constellation(sats, name=self.name, source=self.source)

    def __add__(self, other: Constellation) -> Constellation:
        name = self.name if self.name == other.name else " + ".join(n for n in (self.name, other.name) if n)
        source = self.source if self.source == other.source else "; ".join(
            s for s in (self.source, other.source) if s)
        return Constellation(self._sats + tuple(other), name=name, source=source)

    def __repr__(self) -> str:
        groups = ", ".join(f"{g or '-'}: {n}" for g, n in self.group_counts().items())
        label = f"{self.name!r}, " if self.name else ""
        return f"<Constellation {label}{len(self)} satellites ({groups})>"

    # -- vectorised metadata -----------------------------------------------------------------------
    @property
    def names(self) -> np.ndarray:
        """Object names, ``str`` array of shape ``(n,)``."""
        return np.array([s.name for s in self._sats], dtype=str)

    @property
    def catalog_numbers(self) -> np.ndarray:
        """NORAD catalogue numbers, ``int64`` array of shape ``(n,)``."""
        return np.array([s.catalog_number for s in self._sats], dtype=np.int64)

    @property
    def groups(self) -> np.ndarray:
        """Sub-constellation labels, ``str`` array of shape ``(n,)``."""
        return np.array([s.group for s in self._sats], dtype=str)

    @property
    def launched(self) -> np.ndarray:
        """Launched flags, ``bool`` array of shape ``(n,)``."""
        return np.array([s.launched for s in self._sats], dtype=bool)

    @property
    def epochs(self) -> np.ndarray:
        """Element-set epochs, UTC ``datetime64[ns]`` array of shape ``(n,)``."""
        return np.array([s.epoch for s in self._sats], dtype="datetime64[ns]")

    @property
    def satrecs(self) -> list[Satrec]:
        """The SGP4 models, in order."""
        return [s.satrec for s in self._sats]

    def satrec_array(self) -> SatrecArray:
        """A python-sgp4 :class:`~sgp4.api.SatrecArray` over all satellites (built once, then cached)."""
        if self._satrec_array is None:
            self._satrec_array = SatrecArray(self.satrecs)
        return self._satrec_array

    def group_counts(self) -> dict[str, int]:
        """Number of satellites per group, in order of first appearance."""
        out: dict[str, int] = {}
        for s in self._sats:
            out[s.group] = out.get(s.group, 0) + 1
        return out

    # -- selection ---------------------------------------------------------------------------------
    def select(
        self,
        group: str | Sequence[str] | None = None,
        launched: bool | None = None,
        mask: np.ndarray | Sequence[bool] | None = None,
        name: str | None = None,
    ) -> Constellation:
        """Return the satellites that satisfy every given criterion.

        Parameters
        ----------
        group : str or sequence of str, optional
            Keep satellites whose group is this one (or one of these).
        launched : bool, optional
            Keep launched (``True``) or planned-only (``False``) satellites.
        mask : boolean array of shape ``(n,)``, optional
            An explicit selection, combined with the others by logical AND.
        name : str, optional
            Keep satellites whose name contains this text (case-insensitive), e.g. ``"QIANFAN"``.
        """
        keep = np.ones(len(self), dtype=bool)
        if group is not None:
            wanted = [group] if isinstance(group, str) else list(group)
            keep &= np.isin(self.groups, wanted)
        if launched is not None:
            keep &= self.launched == bool(launched)
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.shape != keep.shape:
                raise ValueError(f"mask has shape {m.shape}, expected {keep.shape}")
            keep &= m
        if name is not None:
            needle = name.upper()
            keep &= np.array([needle in s.name.upper() for s in self._sats], dtype=bool)
        return self[keep]

    # -- interop -----------------------------------------------------------------------------------
    def to_skyfield(self, ts: Any = None) -> list:
        """Return a list of Skyfield ``EarthSatellite`` objects, one per satellite."""
        from skyfield.api import load

        ts = ts or load.timescale(builtin=True)
        return [s.to_skyfield(ts) for s in self._sats]

    @classmethod
    def from_satrecs(cls, satrecs: Iterable[Satrec], names: Iterable[str] | None = None,
                     group: str = "", name: str = "", source: str = "") -> Constellation:
        """Build a constellation from python-sgp4 ``Satrec`` objects."""
        satrecs = list(satrecs)
        names = list(names) if names is not None else [""] * len(satrecs)
        return cls((Satellite(r, name=n, group=group, source=source) for r, n in zip(satrecs, names)),
                   name=name, source=source)


def as_constellation(obj: Any) -> Constellation:
    """Coerce ``obj`` to a :class:`Constellation`.

    Accepts a ``Constellation``, a ``Satellite``, a python-sgp4 ``Satrec``, a Skyfield ``EarthSatellite``,
    or any iterable of those.
    """
    if isinstance(obj, Constellation):
        return obj
    items = [obj] if _is_single(obj) else list(obj)
    sats = []
    for it in items:
        if isinstance(it, Satellite):
            sats.append(it)
        elif isinstance(it, Satrec):
            sats.append(Satellite(it))
        elif hasattr(it, "model") and isinstance(it.model, Satrec):  # Skyfield EarthSatellite
            sats.append(Satellite(it.model, name=getattr(it, "name", None) or ""))
        else:
            raise TypeError(f"cannot make a satellite out of {type(it).__name__}")
    return Constellation(sats)


def _is_single(obj: Any) -> bool:
    return isinstance(obj, (Satellite, Satrec)) or (hasattr(obj, "model") and isinstance(obj.model, Satrec))
