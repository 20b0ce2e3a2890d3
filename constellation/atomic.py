"""Atomic writes: a file or folder is written under a hidden temporary name beside its destination, flushed
to disk and renamed into place, so an interrupted write (an exception, Ctrl-C, ``kill -9``, a full disk)
never leaves a half-written output at the destination, and what was there stays untouched until the new
one is complete.

``os.replace`` is atomic on POSIX for files (IEEE Std 1003.1 ``rename()``); a directory (a Zarr store)
cannot be swapped atomically, so the old one is first renamed aside, the new one renamed in, then the old
one deleted (only a crash between the two renames can leave the old one under its aside name, never a
partial output at the destination).  Used for element sets and CSV tables (:func:`write_text`), result
files (:func:`constellation.formats.write_dataset`), maps (``constellation plot``) and checkpoint stores
(:mod:`constellation.checkpoint`).

A temporary is named ``.NAME.<pid>-<random>.tmp``; a process killed mid-write cannot remove its own, so the
next write of the same output removes those whose process no longer exists (:func:`remove_stale`).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

__all__ = ["write_text", "write_atomically", "move_into_place", "fsync_path", "fsync_dir", "remove_path",
           "remove_stale"]


def fsync_path(path: Path) -> None:
    """Flush ``path`` (a file, or every file of a directory tree) and its folder to disk, where possible."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for f in files:
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (renames into it) to disk, where the platform allows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def remove_path(path: Path) -> None:
    """Remove ``path`` (a file, a link or a folder tree) if it is there; never raises for a missing one."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def move_into_place(tmp: Path, dest: Path) -> None:
    """Rename the finished ``tmp`` onto ``dest``, replacing what is there without leaving it half-done."""
    if tmp.is_file() and not dest.is_dir():
        os.replace(tmp, dest)  # atomic for files (POSIX rename)
        return
    if not (dest.exists() or dest.is_symlink()):
        os.rename(tmp, dest)
        return
    aside = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.old")
    os.rename(dest, aside)
    try:
        os.rename(tmp, dest)
    except BaseException:
        os.rename(aside, dest)
        raise
    remove_path(aside)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically, as
    :func:`constellation.formats.write_dataset` does: through a hidden temporary file in the same folder,
    flushed to disk, then renamed into place.  Used for element sets and CSV tables; returns the path
    written."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    return write_atomically(Path(path), write)


def write_atomically(path: Path, write) -> Path:
    """Call ``write(tmp)`` for a hidden temporary beside ``path``, flush it to disk and rename it into
    place; on any error remove the temporary and re-raise, leaving ``path`` as it was."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist")
    remove_stale(path)
    tmp = parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp"
    try:
        write(tmp)
        fsync_path(tmp)
        move_into_place(tmp, path)
    except OSError as exc:
        remove_path(tmp)
        if exc.errno is None or isinstance(exc, FileExistsError) or str(path) in str(exc):
            raise
        # a full disk, a read-only folder: say which output could not be written
        raise type(exc)(exc.errno, f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    except BaseException:
        remove_path(tmp)
        raise
    return path


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (a temporary of another machine's process, on a
    shared folder, may look dead: it is then removed only once it is an hour old)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale(path: Path, *, min_age_s: float = 3600.0) -> list[Path]:
    """Remove the temporaries that writes of ``path`` left behind when their process was killed (``kill
    -9`` or a power cut leave no chance to clean up): ``.NAME.<pid>-<random>.tmp`` whose process is gone,
    and any ``.NAME.*.tmp`` or ``.NAME.*.old`` older than ``min_age_s``.  Returns what was removed."""
    import glob
    import time

    parent = path.parent if str(path.parent) else Path(".")
    pattern = str(parent / f".{glob.escape(path.name)}.*")
    removed = []
    now = time.time()
    for name in glob.glob(pattern):
        p = Path(name)
        middle, _, suffix = p.name[len(path.name) + 2:].rpartition(".")
        if suffix not in ("tmp", "old"):
            continue
        pid_text = middle.split("-", 1)[0] if "-" in middle else ""
        try:
            dead = pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text))
            old = now - p.lstat().st_mtime > min_age_s
        except OSError:
            continue
        if dead or old:
            remove_path(p)
            removed.append(p)
    return removed
