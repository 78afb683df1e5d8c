"""Hostile probe on the sandbox's lifetime: an app process killed while a student's code runs (code that sleeps and
starts a sleeping child) leaves no sandbox process — bwrap, the runner, the code's child — and no temp entry.
(The other hostile submissions: tests/test_sandbox_hostile.py.)"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from tests.test_sandbox_hostile import APP_DIR, WRONG

APP_SCRIPT = """
import sys
from tutor.examples import example_code
from tutor.sandbox import SandboxLimits
from tutor.session import TutorSession
from tutor.types import TutorSettings
s = TutorSession.start(example_code(), TutorSettings(sandbox=SandboxLimits(wall_s=60)))
print("go", flush=True)
"".join(s.reply(sys.stdin.read()))
"""


def marked(mark: str) -> list[int]:
    """Live (not zombie) host processes carrying `mark` in their name, command line or environment: the outer
    bwrap (the app's environment), the runner (its name, set by the student's code) and what that code started."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            if stat[stat.rindex(")") + 2] in "ZX":
                continue
            if any(carries(int(entry.name), f, mark) for f in ("comm", "cmdline", "environ")):
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def carries(pid: int, what: str, mark: str) -> bool:
    try:
        return mark.encode() in Path(f"/proc/{pid}/{what}").read_bytes()
    except OSError:
        return False


def kill_mid_run(
    tmp: Path, app_dir: Path = APP_DIR, delay: float | None = None
) -> tuple[list[int], list[int], list[str]]:
    """An app process whose student sends code that sleeps (and starts a sleeping child) is killed with SIGKILL:
    once that code runs, or `delay` s after the turn began. Returns the sandbox processes seen before the kill, those
    left 3 s after it (a runner that outlived the app would be running the student's code by then), and what is left
    in the app's temp dir."""
    mark = "pk" + uuid.uuid4().hex[:12]  # fits in a process name (15 characters)
    code = WRONG + textwrap.dedent(f"""
    import os, sys, time
    with open('/proc/self/comm', 'w') as f:
        f.write('{mark}')
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '{mark}'])
    time.sleep(60)
    """)
    tmpdir = tmp / f"app-tmp-{mark}"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "PROBE_MARK": mark}
    app = subprocess.Popen(
        [sys.executable, "-c", APP_SCRIPT],
        cwd=app_dir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None and app.stdin is not None and app.stdout.readline().strip() == "go"
        app.stdin.write(f"Here is my fix:\n```python\n{code}\n```")
        app.stdin.close()
        if delay is None:  # until the code runs: the runner has its new name and the child has started
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                {"comm", "cmdline"}
                <= {f for pid in marked(mark) if pid != app.pid for f in ("comm", "cmdline") if carries(pid, f, mark)}
            ):
                time.sleep(0.05)
        else:
            time.sleep(delay)
        before = [pid for pid in marked(mark) if pid != app.pid]
    finally:
        app.kill()
        app.wait()
    time.sleep(3)
    left = marked(mark)
    for pid in left:  # leave nothing behind for the next probe
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return before, left, sorted(os.listdir(tmpdir))


def test_sandbox_dies_with_a_killed_app(tmp_path: Path) -> None:
    before, left, tmp_left = kill_mid_run(tmp_path)
    assert len(before) >= 3, "the sandbox (bwrap, the runner, the code's child) did not start"
    assert left == [] and tmp_left == []
