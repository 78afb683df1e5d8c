"""Run a student's code against a problem's unit tests, contained by the OS, with verdicts decided outside.

    run = run_tests(code, problem)        # -> TestRun (per-test results, limits hit, captured output)

Containment (tutor/sandbox_os.py): bubblewrap with new user/pid/net/ipc/uts namespaces, uid 65534, a read-only view
of only the interpreter and its standard library, its own /proc, a private size-limited tmpfs as cwd, no network;
resource limits (CPU, address space, processes, file size, open files, no core) set by the runner before any student
code exists; a wall-clock timeout after which the whole process tree is killed. The sandbox dies with the app
three ways: a parent-death signal armed before bwrap starts, bwrap's --die-with-parent, and the runner's watchdog
on its job pipe. At most two runs per core at once (tutor/sandbox_slots.py); the others queue in order. If the
sandbox cannot be set up here, no student code runs: the TestRun says so (`unavailable`) and `describe()` tells
the student.

Verdicts (tutor/sandbox_verdict.py): the child only evaluates the calls of each test and sends plain values back over
a pipe; this process compares them with the expected values, which never enter the sandbox.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from knowledge.types import Problem
from tutor.sandbox_os import SandboxUnavailable, jail
from tutor.sandbox_slots import SLOTS
from tutor.sandbox_verdict import Check, compared, decide, decode, plan

log = logging.getLogger(__name__)
CHILD = Path(__file__).with_name("sandbox_child.py")
NICE = shutil.which("nice") or ""  # coreutils
PROTOCOL_BYTES = 8 * 1024 * 1024  # what the parent keeps of the child's protocol channel
UNAVAILABLE = (
    "Your code was not run: the sandbox that runs student code safely is not available on this "
    "server. Please tell your teacher."
)


class SandboxLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu_s: int = Field(default=3, ge=1)
    memory_mb: int = Field(default=512, ge=64)
    nproc: int = Field(default=8, ge=3)  # processes inside the sandbox, its init and the runner included
    fsize_mb: int = Field(default=4, ge=1)
    nofile: int = Field(default=64, ge=16)
    wall_s: float = Field(default=8.0, gt=0)
    output_chars: int = Field(default=4000, ge=0)
    tmpfs_mb: int = Field(default=16, ge=1)  # the private work dir


class TestResult(BaseModel):
    __test__ = False  # not a pytest class
    index: int
    test: str
    passed: bool
    error_type: str | None = None
    message: str = ""
    line: int | None = None  # line in the student's code where the error arose
    expected: str | None = None
    got: str | None = None


class LoadError(BaseModel):
    error_type: str
    message: str = ""
    line: int | None = None


class TestRun(BaseModel):
    __test__ = False
    passed: bool
    results: list[TestResult] = Field(default_factory=list)
    load_error: LoadError | None = None
    timed_out: bool = False
    limit_hit: str | None = None  # "cpu", "memory", "file size", "wall", "killed by SIGNAME"
    running_test: int | None = None  # the test that was running when the process was stopped
    stdout: str = ""
    output_truncated: bool = False
    duration_ms: float = 0.0
    isolation: list[str] = Field(default_factory=list)
    unavailable: str | None = None  # why the sandbox could not be set up (then no code ran)

    @property
    def failures(self) -> list[TestResult]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> dict:
        """A compact, JSON-ready summary for traces and the planner."""
        first = self.failures[0] if self.failures else None
        return {
            "passed": self.passed,
            "n_tests": len(self.results),
            "n_failed": len(self.failures),
            "load_error": self.load_error.model_dump() if self.load_error else None,
            "first_failure": first.model_dump() if first else None,
            "limit_hit": self.limit_hit,
            "unavailable": self.unavailable,
        }

    def describe(self) -> str:
        """One line a tutor template can use, without revealing expected outputs of hidden tests."""
        if self.passed:
            return "All the tests pass."
        if self.unavailable:
            return UNAVAILABLE
        if self.load_error:
            where = f" on line {self.load_error.line}" if self.load_error.line else ""
            return f"The code stops with {self.load_error.error_type}{where} before any test runs."
        if self.limit_hit:
            return f"The code was stopped: {self.limit_hit} limit reached."
        if not self.failures:  # the program stopped (or was made to stop) before every test had run
            return "The code stopped before all the tests had run."
        first = self.failures[0]
        if first.error_type == "AssertionError":
            return f"The test `{first.test}` fails."
        where = f" on line {first.line}" if first.line else ""
        return f"The test `{first.test}` raises {first.error_type}{where}."


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return str(code)


def _job(code: str, entry_point: str, checks: list[Check], limits: SandboxLimits) -> bytes:
    steps = [
        {"index": c.index, "kind": c.kind, "setup": c.setup, "parts": c.parts} for c in checks if c.kind != "invalid"
    ]
    return json.dumps({"code": code, "entry_point": entry_point, "steps": steps, **limits.model_dump()}).encode()


def _execute(job: bytes, limits: SandboxLimits) -> tuple[bytes, bytes, int, bool, list[str]]:
    """Run the runner in the jail: (protocol bytes, output bytes, exit status, timed out, isolation layers)."""
    j = jail()
    argv = j.argv(limits.tmpfs_mb * 1024 * 1024, CHILD.read_text(encoding="utf-8"))
    if NICE:  # student code runs at low CPU priority: a looping submission yields the cores to the app's own work
        argv = [NICE, "-n", "10", *argv]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        **j.popen_kwargs(),
    )
    assert proc.stdin and proc.stdout and proc.stderr

    def feed() -> None:  # the job as one line; the pipe stays open (the runner's watchdog) until the run is over
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.write(job + b"\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]

    threading.Thread(target=feed, daemon=True).start()
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    keep = {out_fd: PROTOCOL_BYTES, err_fd: max(limits.output_chars * 4, 1024)}
    got: dict[int, bytearray] = {fd: bytearray() for fd in keep}
    deadline = time.monotonic() + limits.wall_s
    timed_out = False
    with selectors.DefaultSelector() as sel:
        for fd in keep:
            sel.register(fd, selectors.EVENT_READ)
        try:
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0 and not timed_out:
                    timed_out = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)  # bwrap dies; its pid namespace dies with it
                    deadline = time.monotonic() + 5  # then drain until every process holding the pipes is gone
                    continue
                if left <= 0:
                    break
                for key, _ in sel.select(timeout=left):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fd)
                    elif len(got[key.fd]) < keep[key.fd]:  # beyond the cap: read and drop
                        got[key.fd] += chunk[: keep[key.fd] - len(got[key.fd])]
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()
            proc.stdout.close()
            proc.stderr.close()
    return bytes(got[out_fd]), bytes(got[err_fd]), rc, timed_out, list(j.layers)


def run_tests(
    code: str,
    problem: Problem | None = None,
    *,
    tests: list[str] | None = None,
    entry_point: str = "",
    limits: SandboxLimits | None = None,
) -> TestRun:
    """Run `code` against `problem.unit_tests` (or `tests`) in the sandbox and return a structured result."""
    limits = limits or SandboxLimits()
    tests = list(tests if tests is not None else (problem.unit_tests if problem else []))
    entry_point = entry_point or (problem.entry_point if problem else "")
    started = time.monotonic()
    checks = [plan(i, t) for i, t in enumerate(tests)]
    try:
        with SLOTS.run():  # a free slot, or this thread's code turn's: runs queue here in order
            proto, output, rc, timed_out, layers = _execute(_job(code, entry_point, checks, limits), limits)
    except SandboxUnavailable as exc:
        log.error("student code not run: the sandbox is unavailable: %s", exc)
        return TestRun(passed=False, unavailable=str(exc), duration_ms=round((time.monotonic() - started) * 1000, 1))
    return _collect(checks, proto, output, rc, timed_out, limits, layers, started)


def _text(value: object, n: int) -> str:
    return value[:n] if isinstance(value, str) else ""


def _line(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000 else None


def _result(check: Check, rec: dict) -> TestResult:
    """The verdict on one test from the child's record of it (decided here)."""
    base = TestResult(index=check.index, test=check.test, passed=False)
    event = rec.get("event")
    if event == "error":
        return base.model_copy(
            update={
                "error_type": _text(rec.get("type"), 100) or "Exception",
                "message": _text(rec.get("message"), 300),
                "line": _line(rec.get("line")),
            }
        )
    if event == "ran" and check.kind == "exec":
        return base.model_copy(update={"passed": True})
    raw = rec.get("values")
    if event != "values" or check.kind != "assert" or not isinstance(raw, list) or len(raw) != len(check.parts):
        return base.model_copy(update={"error_type": "TestError", "message": "the test's values did not come back"})
    try:
        parts = [decode(v) for v in raw]
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, MemoryError):
        return base.model_copy(update={"error_type": "TestError", "message": "the test's values were unreadable"})
    passed, error_type, message = decide(check, parts)
    got, expected = compared(check.expr, parts) if check.expr is not None else (None, None)
    return base.model_copy(
        update={
            "passed": passed,
            "error_type": error_type or None,
            "message": message,
            "got": got,
            "expected": expected,
        }
    )


def _collect(
    checks: list[Check],
    proto: bytes,
    output: bytes,
    rc: int,
    timed_out: bool,
    limits: SandboxLimits,
    layers: list[str],
    started: float,
) -> TestRun:
    outcome: dict[int, dict] = {}
    load_error = None
    limit_hit: str | None = None
    running = None
    stdout, dropped, done = "", 0, False
    for line in proto.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
            event, index = rec.get("event"), rec.get("index")
        except (json.JSONDecodeError, AttributeError, RecursionError):
            continue
        if event == "start" and isinstance(index, int):
            running = index
        elif event in ("values", "error", "ran") and isinstance(index, int):
            outcome.setdefault(index, rec)  # the first record of a test counts
            running = None
        elif event == "load_error" and load_error is None:
            load_error = LoadError(
                error_type=_text(rec.get("type"), 100) or "Exception",
                message=_text(rec.get("message"), 300),
                line=_line(rec.get("line")),
            )
        elif event == "limit":
            limit_hit = limit_hit or (_text(rec.get("what"), 40) or "limit")
        elif event == "done" and not done:
            stdout, done = _text(rec.get("stdout"), limits.output_chars), True
            dropped = rec.get("dropped") if isinstance(rec.get("dropped"), int) else 0
    results: list[TestResult] = []
    if load_error is None:
        for c in checks:
            if c.kind == "invalid":
                results.append(
                    TestResult(index=c.index, test=c.test, passed=False, error_type=c.error_type, message=c.message)
                )
            elif c.index in outcome:
                results.append(_result(c, outcome[c.index]))
    raw = output[: limits.output_chars].decode("utf-8", "replace")
    sig = -rc if rc < 0 else (rc - 128 if rc > 128 else 0)  # bwrap reports a signalled child as 128 + signal
    if limit_hit:
        pass
    elif timed_out:
        limit_hit = "wall-clock time"
    elif sig == signal.SIGXCPU:
        limit_hit = "CPU time"
    elif sig == signal.SIGXFSZ:
        limit_hit = "file size"
    elif sig:
        limit_hit = f"killed by {_signal_name(sig)}"
    elif not done:
        limit_hit = "crashed" if "MemoryError" not in raw else "memory"
    if any(r.error_type == "MemoryError" for r in results) or (load_error and load_error.error_type == "MemoryError"):
        limit_hit = limit_hit or "memory"
    if not done and raw and not stdout:
        stdout = raw
    all_passed = (
        done
        and load_error is None
        and len(results) == len(checks)
        and bool(results)
        and all(r.passed for r in results)
        and limit_hit is None
    )
    return TestRun(
        passed=all_passed,
        results=results,
        load_error=load_error,
        timed_out=timed_out,
        limit_hit=limit_hit,
        running_test=running if not done else None,
        stdout=stdout,
        output_truncated=dropped > 0,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
        isolation=layers,
    )
