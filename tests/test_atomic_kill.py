"""Every output appears whole or not at all: a writer killed with SIGKILL mid-write leaves the previous
output untouched and only a temporary, which the next write of that output removes; a failed image save
leaves nothing; an I/O error names the output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from constellation.atomic import remove_stale, write_text
from constellation.cli import main

# writes half of its data to the temporary, says so, then waits to be killed
_SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from constellation.atomic import write_atomically

    def write(tmp):
        with open(tmp, "w") as f:
            f.write("half of the new ")
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
            f.write("content")

    write_atomically(Path(sys.argv[1]), write)
""")


def _kill_mid_write(dest: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(dest)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_killed_writer_leaves_old_output_and_next_write_cleans_up(tmp_path):
    dest = tmp_path / "out.csv"
    write_text(dest, "old,complete\n")
    _kill_mid_write(dest)
    assert dest.read_text() == "old,complete\n"                   # untouched
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "out.csv")
    assert len(left) == 1 and left[0].startswith(".out.csv.") and left[0].endswith(".tmp")
    write_text(dest, "new,complete\n")                            # the next write removes the dead one's file
    assert dest.read_text() == "new,complete\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_killed_first_write_leaves_no_output(tmp_path):
    dest = tmp_path / "fresh.nc"
    _kill_mid_write(dest)
    assert not dest.exists()
    assert remove_stale(dest) and list(tmp_path.iterdir()) == []


def test_temporaries_of_live_writers_and_other_files_are_kept(tmp_path):
    dest = tmp_path / "a.png"
    mine = tmp_path / f".a.png.{os.getpid()}-abc.tmp"              # a live process (this one)
    other = tmp_path / ".a.png.notes"                              # not a temporary
    unrelated = tmp_path / ".b.png.999999999-abc.tmp"              # another output's
    for p in (mine, other, unrelated):
        p.write_text("x")
    assert remove_stale(dest) == []
    old = tmp_path / ".a.png.123abc.tmp"                           # no process id: removed once an hour old
    old.write_text("x")
    assert remove_stale(dest) == []
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    assert remove_stale(dest) == [old]


def test_failed_image_save_leaves_nothing(tmp_path, monkeypatch, capsys):
    from matplotlib.figure import Figure

    def broken_savefig(self, fname, **kw):
        Path(fname).write_bytes(b"\x89PNG half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    out = tmp_path / "tracks.png"
    assert main(["plot", "--tracks", "--group", "nav", "--duration", "10m", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"cannot write '{out}': No space left on device" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_image_is_written_whole(tmp_path):
    out = tmp_path / "nav.png"
    assert main(["plot", "--tracks", "--group", "nav", "--duration", "10m", "--dpi", "40", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND"
    assert [p.name for p in tmp_path.iterdir()] == ["nav.png"]

