"""Memory budget: estimate what a request needs before doing it, and refuse what cannot fit with a
message that gives the estimate and what would fit instead.

The memory available is read from ``/proc/meminfo`` (``MemAvailable``, Linux) or from ``os.sysconf``
(physical pages), and can be capped with the environment variable ``CONSTELLATION_MEMORY_LIMIT`` (bytes,
or with a suffix: ``512M``, ``4G``), for shared machines and batch jobs.
"""

from __future__ import annotations

import os

from .errors import ConstellationError

__all__ = ["WorkTooLargeError", "available_bytes", "check_fits", "format_bytes"]

_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class WorkTooLargeError(ConstellationError, ValueError):
    """A request would need more memory than the machine has: refused before any work is done."""


def format_bytes(n: float) -> str:
    """``n`` bytes as text with a binary unit (``1.5 GiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def _limit_from_env() -> int | None:
    text = os.environ.get("CONSTELLATION_MEMORY_LIMIT", "").strip().upper().removesuffix("B").removesuffix("I")
    if not text:
        return None
    suffix = text[-1] if text[-1] in _SUFFIX else ""
    try:
        value = float(text[: len(text) - len(suffix)])
    except ValueError:
        raise ValueError(f"CONSTELLATION_MEMORY_LIMIT: expected bytes such as 4G or 512M, got "
                         f"{os.environ['CONSTELLATION_MEMORY_LIMIT']!r}") from None
    if not value > 0:
        raise ValueError("CONSTELLATION_MEMORY_LIMIT must be positive")
    return int(value * _SUFFIX[suffix])


def available_bytes() -> int:
    """Memory this process may use: ``MemAvailable`` (or the physical memory), capped by
    ``CONSTELLATION_MEMORY_LIMIT`` when set."""
    found = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if found is None:
        try:
            found = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # pragma: no cover - no way to tell: no cap
            found = 1 << 62
    env = _limit_from_env()
    return min(found, env) if env is not None else found


def check_fits(need_bytes: float, what: str, advice: str) -> None:
    """Raise :class:`WorkTooLargeError` when ``need_bytes`` exceeds :func:`available_bytes`.

    ``what`` says what was asked for (``"coverage of 648,000,000 cells"``), ``advice`` what would fit
    (``"use a coarser grid or a region"``)."""
    have = available_bytes()
    if need_bytes > have:
        raise WorkTooLargeError(f"{what} needs about {format_bytes(need_bytes)} of memory, more than the "
                                f"{format_bytes(have)} available; {advice}")
