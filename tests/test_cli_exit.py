"""How the ``constellation`` command ends (``constellation.cli.console_main``): it skips the interpreter's
teardown, so these check, in a real process, that nothing a normal exit gives is lost: the whole of
stdout, the exit codes, the files, the ``atexit`` handlers, and the work of other threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from constellation.cli import main

TRACK = ["track", "--at", "2026-01-01T06:00Z", "--limit", "0", "--site", "36.67,117.02,50"]


def _run(args, **kw):
    return subprocess.run([sys.executable, "-m", "constellation", *args], capture_output=True, text=True,
                          timeout=300, **kw)


def test_stdout_complete_and_same_as_in_process(tmp_path, capsys):
    # 368 rows plus a summary through a pipe; the same command in this process prints the same text
    proc = _run(TRACK)
    assert proc.returncode == 0, proc.stderr
    assert main(TRACK) == 0
    expected = capsys.readouterr().out
    assert len(expected.splitlines()) > 368
    assert proc.stdout == expected
    # and into a file (block-buffered): flushed before the process ends
    out = tmp_path / "track.txt"
    with open(out, "w") as fh:
        assert subprocess.run([sys.executable, "-m", "constellation", *TRACK], stdout=fh, timeout=300).returncode == 0
    assert out.read_text() == expected


def test_exit_codes_and_error_line():
    proc = _run(["coverage", "--duration", "-1h"])
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("constellation coverage: error: ")
    assert _run(["info"]).returncode == 0


def test_reader_leaving_the_pipe_is_not_an_error():
    # `constellation track | head -1` where the reader has left before the command writes: the command
    # waits for its stdin to close, by which time nobody reads its stdout any more
    code = ("import sys; sys.stdin.read(); sys.argv = ['constellation', *sys.argv[1:]]; "
            "from constellation.cli import console_main; console_main()")
    proc = subprocess.Popen([sys.executable, "-c", code, *TRACK], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    proc.stdin.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 1
    assert err == ""


def test_written_file_complete(tmp_path):
    out = tmp_path / "cov.nc"
    proc = _run(["coverage", "--quiet", "--duration", "2h", "--grid-deg", "5", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert ds.coverage_fraction.shape == (36, 72) and ds.area_covered_fraction.shape == (241,)
        assert 0 < float(ds.coverage_fraction.mean()) <= 1


def test_atexit_handlers_run_and_other_threads_finish(tmp_path):
    flag = tmp_path / "thread-done"
    code = textwrap.dedent(f"""
        import atexit, os, sys, threading, time
        class Witness:  # says so when the interpreter's teardown frees it
            def __del__(self, _write=os.write):
                _write(1, b"torn down\\n")
        witness = Witness()
        atexit.register(lambda: print("atexit ran", flush=False))
        def late():  # still at work when main returns, however long the command takes
            while threading.main_thread().is_alive():
                time.sleep(0.01)
            time.sleep(0.2)
            open({str(flag)!r}, "w").write("ok")
        threading.Thread(target=late).start()
        sys.argv = ["constellation", "info"]
        from constellation.cli import console_main
        console_main()
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("atexit ran\ntorn down")  # the usual exit, with the teardown
    assert flag.read_text() == "ok"

    # without such a thread the quick way out is taken (no teardown), and the handlers still run
    proc = subprocess.run([sys.executable, "-c", code.replace("threading.Thread(target=late).start()", "")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("atexit ran")
    assert "torn down" not in proc.stdout
