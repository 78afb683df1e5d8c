"""Run a student's code against a problem's unit tests in a contained child process.

Layers (all applied where the platform allows; `TestRun.isolation` says which were active):
- a separate process in its own session/process group, killed as a group on timeout or exit;
- `unshare -n -p -f` (root) or `unshare -r -n -p -f` (user namespaces): no network interfaces at all, and a pid
  namespace so every process the code starts dies with it;
- resource limits: RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE=0;
- a fresh temporary directory as cwd, removed afterwards; `python -I -S` (no user site, no env);
- in-process guards (sandbox_child.py): socket functions replaced, and an audit hook refusing network, process
  creation, ctypes and writes outside the temp dir (decision: writes outside are *blocked* with PermissionError);
- a wall-clock timeout; captured output truncated to `output_chars`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from knowledge.types import Problem

CHILD = Path(__file__).with_name("sandbox_child.py")


class SandboxLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu_s: int = Field(default=3, ge=1)
    memory_mb: int = Field(default=512, ge=64)
    nproc: int = Field(default=16, ge=1)
    fsize_mb: int = Field(default=4, ge=1)
    nofile: int = Field(default=64, ge=16)
    wall_s: float = Field(default=8.0, gt=0)
    output_chars: int = Field(default=4000, ge=0)
    namespaces: bool = True  # use unshare when it works here


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
        }

    def describe(self) -> str:
        """One line a tutor template can use, without revealing expected outputs of hidden tests."""
        if self.passed:
            return "All the tests pass."
        if self.load_error:
            where = f" on line {self.load_error.line}" if self.load_error.line else ""
            return f"The code stops with {self.load_error.error_type}{where} before any test runs."
        if self.limit_hit:
            return f"The code was stopped: {self.limit_hit} limit reached."
        first = self.failures[0]
        if first.error_type == "AssertionError":
            return f"The test `{first.test}` fails."
        where = f" on line {first.line}" if first.line else ""
        return f"The test `{first.test}` raises {first.error_type}{where}."


@functools.cache
def _unshare_prefix() -> tuple[str, ...]:
    exe = shutil.which("unshare")
    if not exe:
        return ()
    candidates = [(exe, "-n", "-p", "-f", "--kill-child")] if os.geteuid() == 0 else []
    candidates.append((exe, "-r", "-n", "-p", "-f", "--kill-child"))
    for prefix in candidates:
        try:
            ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=5).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return prefix
    return ()


def _user_process_count() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def _preexec(limits: SandboxLimits, nproc: int):
    import resource

    def apply() -> None:
        os.setsid()
        mb = 1024 * 1024
        for res, value in (
            (resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1)),  # SIGXCPU (reported), then SIGKILL
            (resource.RLIMIT_AS, limits.memory_mb * mb),
            (resource.RLIMIT_NPROC, nproc),
            (resource.RLIMIT_FSIZE, limits.fsize_mb * mb),
            (resource.RLIMIT_NOFILE, limits.nofile),
            (resource.RLIMIT_CORE, 0),
        ):
            soft, hard = value if isinstance(value, tuple) else (value, value)
            _, cur_hard = resource.getrlimit(res)
            if cur_hard != resource.RLIM_INFINITY:  # an unprivileged process cannot raise its hard limit
                soft, hard = min(soft, cur_hard), min(hard, cur_hard)
            resource.setrlimit(res, (soft, hard))

    return apply


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return str(code)


def run_tests(code: str, problem: Problem | None = None, *, tests: list[str] | None = None, entry_point: str = "",
              limits: SandboxLimits | None = None) -> TestRun:
    """Run `code` against `problem.unit_tests` (or `tests`) in the sandbox and return a structured result."""
    limits = limits or SandboxLimits()
    tests = list(tests if tests is not None else (problem.unit_tests if problem else []))
    entry_point = entry_point or (problem.entry_point if problem else "")
    workdir = Path(tempfile.mkdtemp(prefix="tutor-sandbox-"))
    isolation = ["process group", "rlimits", "temp dir", "audit hook", "socket patch"]
    started = time.monotonic()
    proc: subprocess.Popen[bytes] | None = None
    try:
        (workdir / "job.json").write_text(json.dumps({"code": code, "tests": tests, "entry_point": entry_point,
                                                      "output_chars": limits.output_chars}), encoding="utf-8")
        shutil.copy(CHILD, workdir / "runner.py")
        prefix = _unshare_prefix() if limits.namespaces else ()
        if prefix:
            isolation.append("network+pid namespace")
        nproc = limits.nproc if os.geteuid() == 0 else _user_process_count() + limits.nproc
        with open(workdir / "output.txt", "wb") as out:
            proc = subprocess.Popen(
                [*prefix, sys.executable, "-I", "-S", "runner.py"], cwd=workdir, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, preexec_fn=_preexec(limits, nproc), env={"PATH": "/usr/bin:/bin"},
            )
            timed_out = False
            try:
                rc = proc.wait(timeout=limits.wall_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                rc = None
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # also reaps anything the code started
                if rc is None:
                    rc = proc.wait()
        return _collect(workdir, rc, timed_out, bool(prefix), limits, isolation, started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _collect(workdir: Path, rc: int, timed_out: bool, wrapped: bool, limits: SandboxLimits, isolation: list[str],
             started: float) -> TestRun:
    results: list[TestResult] = []
    load_error = None
    limit_hit: str | None = None
    running = None
    stdout, dropped, done = "", 0, False
    path = workdir / "results.jsonl"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        event = rec.pop("event", "")
        if event == "start":
            running = rec["index"]
        elif event == "result":
            running = None
            results.append(TestResult(**rec))
        elif event == "load_error":
            load_error = LoadError(**rec)
        elif event == "limit":
            limit_hit = rec.get("what", "limit")
        elif event == "done":
            stdout, dropped, done = rec.get("stdout", ""), rec.get("dropped", 0), True
    raw = (workdir / "output.txt").read_bytes()[: limits.output_chars].decode("utf-8", "replace") \
        if (workdir / "output.txt").exists() else ""
    sig = -rc if rc < 0 else (rc - 128 if wrapped and rc > 128 else 0)
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
    all_passed = done and load_error is None and bool(results) and all(r.passed for r in results) and limit_hit is None
    return TestRun(
        passed=all_passed, results=results, load_error=load_error, timed_out=timed_out, limit_hit=limit_hit,
        running_test=running if not done else None, stdout=stdout, output_truncated=dropped > 0,
        duration_ms=round((time.monotonic() - started) * 1000, 1), isolation=isolation,
    )
