"""The sandbox: structured results, and containment of hostile code (each case must leave the parent alive)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tutor.examples import example_code
from tutor.sandbox import SandboxLimits, TestRun, run_tests

FAST = SandboxLimits(cpu_s=1, memory_mb=256, wall_s=4, fsize_mb=1, output_chars=2000)
TESTS = ["assert f(2) == 4", "assert f(3) == 6"]


def run(code: str, **kw) -> TestRun:
    return run_tests(code, tests=TESTS, entry_point="f", limits=kw.pop("limits", FAST), **kw)


def test_passing_and_failing_code_is_reported_per_test() -> None:
    assert run("def f(x):\n    return 2 * x\n").passed
    r = run("def f(x):\n    return x + 2\n")
    assert not r.passed
    assert [t.passed for t in r.results] == [True, False]
    fail = r.failures[0]
    assert fail.error_type == "AssertionError" and fail.expected == "6" and fail.got == "5"


def test_errors_carry_type_and_student_line() -> None:
    r = run("def f(x):\n    y = 1\n    return x / 0\n")
    assert r.results[0].error_type == "ZeroDivisionError" and r.results[0].line == 3
    s = run("def f(x)\n    return x\n")
    assert s.load_error is not None and s.load_error.error_type == "SyntaxError" and s.load_error.line == 1
    m = run("def g(x):\n    return x\n")
    assert m.load_error is not None and "does not define f" in m.load_error.message


def test_problem_unit_tests_run() -> None:
    p = example_code()
    assert not run_tests(p.buggy_code, p, limits=FAST).passed
    assert run_tests(p.bugs[0].fixes[0].code, p, limits=FAST).passed


def test_infinite_loop_is_stopped_by_cpu_limit() -> None:
    start = time.monotonic()
    r = run("def f(x):\n    while True:\n        pass\n")
    assert not r.passed and r.limit_hit == "CPU time" and r.running_test == 0
    assert time.monotonic() - start < FAST.wall_s + 2


def test_sleeping_forever_is_stopped_by_wall_timeout() -> None:
    r = run("import time\ndef f(x):\n    time.sleep(60)\n", limits=FAST.model_copy(update={"wall_s": 1.5}))
    assert r.timed_out and r.limit_hit == "wall-clock time" and not r.passed


def test_memory_hog_is_contained() -> None:
    r = run("def f(x):\n    block = bytearray(2 * 1024 ** 3)\n    return 2 * x\n")
    assert not r.passed and r.limit_hit == "memory"
    assert r.results[0].error_type == "MemoryError"


def test_fork_bomb_is_contained() -> None:
    # RLIMIT_NPROC holds inside the sandbox (its uid is not root anywhere): fork fails with EAGAIN
    r = run("import os\nwhile True:\n    os.fork()\ndef f(x):\n    return 2 * x\n")
    assert not r.passed and r.load_error is not None and r.load_error.error_type == "BlockingIOError"
    # there is nothing to run: the sandbox holds only the interpreter
    r2 = run("def f(x):\n    import subprocess\n    subprocess.run(['/bin/sh', '-c', 'true'])\n    return 2 * x\n")
    assert not r2.passed and r2.results[0].error_type == "FileNotFoundError"


def test_writing_outside_the_work_dir_fails(tmp_path: Path) -> None:
    target = tmp_path / "escape.txt"
    code = f"def f(x):\n    open({str(target)!r}, 'w').write('x')\n    return 2 * x\n"
    r = run(code)
    assert not target.exists()
    assert r.results[0].error_type in ("FileNotFoundError", "OSError", "PermissionError")
    # inside its own work dir the code may write (and the dir is gone afterwards)
    ok = run("def f(x):\n    open('scratch.txt', 'w').write('ok')\n    return 2 * x\n")
    assert ok.passed


def test_sockets_fail() -> None:
    for code in (
        "import socket\ndef f(x):\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n    return 2 * x\n",
        "import _socket\ndef f(x):\n    s = _socket.socket()\n    s.connect(('10.0.0.1', 22))\n    return 2 * x\n",
    ):
        r = run(code)
        assert not r.passed
        assert r.results[0].error_type in ("OSError", "ConnectionRefusedError"), r.results[0]


def test_network_namespace_has_no_route() -> None:
    # the child's network namespace has only a loopback device: no route out, whatever the code does
    code = (
        "def f(x):\n    devs = [ln.split(':')[0].strip() for ln in open('/proc/net/dev').read().splitlines()[2:]]\n"
        "    assert devs == ['lo'], devs\n    return 2 * x\n"
    )
    r = run(code)
    assert r.passed, r.results


def test_printing_100mb_is_truncated() -> None:
    r = run("def f(x):\n    print('x' * 100_000_000)\n    return 2 * x\n")
    assert r.passed and r.output_truncated and len(r.stdout) <= FAST.output_chars
    raw = run("import os\ndef f(x):\n    os.write(1, b'y' * 20_000_000)\n    return 2 * x\n")
    assert len(raw.stdout) <= FAST.output_chars


def test_parent_survives_and_leaves_no_temp_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # a private temp root: other runs can't interfere
    assert run("def f(x):\n    open('junk.txt', 'w').write('x')\n    return 2 * x\n").passed
    assert not run("def f(x):\n    while True:\n        pass\n").passed
    assert list(tmp_path.iterdir()) == []
    assert os.getpid() > 0  # still here


def test_testrun_round_trip_and_summary() -> None:
    r = run("def f(x):\n    return x + 2\n")
    assert TestRun.model_validate_json(r.model_dump_json()) == r
    s = r.summary()
    assert s["n_failed"] == 1 and s["first_failure"]["test"] == "assert f(3) == 6"
    assert "fails" in r.describe()
