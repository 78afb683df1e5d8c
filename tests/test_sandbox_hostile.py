"""Hostile submissions against the real OS sandbox (bubblewrap), each sent as a real student message (a fenced code
block on a code problem through a real TutorSession), plus direct sandbox calls that read back what the code saw.

Asserted for every probe: the program does not pass, nothing outside the sandbox's tmpfs was read or written, no
sandbox process is left, no token is created, and no secret appears in what the student is shown.
"""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import store
from tutor.examples import example_code
from tutor.sandbox import UNAVAILABLE, SandboxLimits, TestRun, run_tests
from tutor.sandbox_os import _jail
from tutor.session import TutorSession
from tutor.types import TutorSettings

APP_DIR = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
FAST = SandboxLimits(cpu_s=2, memory_mb=256, wall_s=3, fsize_mb=1, output_chars=2000)
WRONG = "def total(nums):\n    s = 0\n    for i in range(1, len(nums)):\n        s += nums[i]\n    return s\n"


@pytest.fixture
def app(tmp_path: Path):
    """A real app store in a data dir, with a teacher, a token and a secret file: what the code must not reach."""
    data = tmp_path / "data"
    data.mkdir()
    s = store.connect(f"sqlite:///{data / 'tutor.db'}")
    teacher = s.create_user("teach", "correct horse battery", "teacher")
    token = s.issue_token(teacher.id)
    secret = f"SECRET-{uuid.uuid4().hex}"
    (data / "secret.txt").write_text(secret)
    yield {"store": s, "data": data, "db": data / "tutor.db", "token": token, "secret": secret, "tmp": tmp_path}
    s.close()


def token_count(app) -> int:
    return app["store"].db.one("SELECT COUNT(*) AS n FROM auth_tokens")["n"]


def leftovers(marker: str) -> list[int]:
    """Host processes whose command line carries `marker` (the probes put it into every process they start)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if marker.encode() in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def chat(code: str, settings: SandboxLimits = FAST):
    """One student turn with `code` in a fenced block; returns (session, trace, shown text)."""
    s = TutorSession.start(example_code(), TutorSettings(sandbox=settings))
    shown = "".join(s.reply(f"Here is my fix:\n```python\n{code}\n```"))
    return s, s.last, shown


def assert_contained(app, code: str, *, forbidden: tuple[str, ...] = ()) -> TestRun:
    """The code, as a chat message and directly: fails, creates no token, shows no secret."""
    before = token_count(app)
    s, trace, shown = chat(code)
    assert trace.has_code and not s.solved and trace.tests is not None and trace.tests["passed"] is False
    r = run_tests(code, example_code(), limits=FAST)
    assert not r.passed
    assert token_count(app) == before
    seen = shown + r.model_dump_json() + trace.model_dump_json()
    for secret in (app["secret"], app["token"], *forbidden):
        assert secret not in seen
    return r


def probe(body: str, limits: SandboxLimits = FAST) -> str:
    """Run `probe()` (defined by `body`) in the sandbox and return what it reported (its return value)."""
    r = run_tests(textwrap.dedent(body), tests=["assert probe() == 'never equal to this'"], limits=limits)
    assert not r.passed and r.results, r
    return r.results[0].got or f"{r.results[0].error_type}: {r.results[0].message}"


READ = """
def probe():
    out = []
    for p in {paths!r}:
        try:
            with open(p, 'rb') as fh:
                out.append('READ ' + fh.read(60).decode('latin-1'))
        except OSError as exc:
            out.append(type(exc).__name__)
    return out
"""


# --- reading outside ---------------------------------------------------------------------------------------------


def test_files_outside_are_not_there(app) -> None:
    paths = [
        "/etc/passwd",
        "/etc/shadow",
        str(APP_DIR / "settings.py"),
        str(APP_DIR / "store" / "store.py"),
        str(VENV / "pyvenv.cfg"),
        str(app["db"]),
        str(app["data"] / "secret.txt"),
        f"/proc/{os.getpid()}/environ",
        str(APP_DIR.parent / "shared" / "data" / "README.md"),
    ]
    got = probe(READ.format(paths=paths))
    assert "READ" not in got and got.count("FileNotFoundError") + got.count("PermissionError") == len(paths), got
    code = WRONG.replace("    return s\n", f"    raise ValueError(open({str(app['data'] / 'secret.txt')!r}).read())\n")
    assert_contained(app, code)


def test_only_the_interpreter_is_visible() -> None:
    got = probe("""
    import os
    def probe():
        return sorted(os.listdir('/')), sorted(os.listdir('/proc'))[:3], os.getuid(), os.getcwd()
    """)
    tops = eval(got)  # noqa: S307 - our own repr of plain data
    assert set(tops[0]) <= {"usr", "lib", "lib64", "proc", "dev", "work", "root", "bin"}, tops
    assert tops[2] == 65534 and tops[3] == "/work"
    assert "etc" not in tops[0] and "home" not in tops[0] and "tmp" not in tops[0]


def test_chdir_relative_open_and_dir_fd(app) -> None:
    got = probe(f"""
    import os
    def probe():
        out = []
        try:
            os.chdir('/')
            out.append(open('etc/passwd').read(20))
        except OSError as exc:
            out.append(type(exc).__name__)
        try:
            fd = os.open('/', os.O_RDONLY)
            out.append(os.read(os.open({str(app["db"])[1:]!r}, os.O_RDONLY, dir_fd=fd), 20))
        except OSError as exc:
            out.append(type(exc).__name__)
        return out
    """)
    assert got == "['FileNotFoundError', 'FileNotFoundError']", got


# --- writing outside -------------------------------------------------------------------------------------------


def test_writes_outside_the_tmpfs_fail(app) -> None:
    targets = [
        app["tmp"] / "escape.txt",
        APP_DIR / "escape.txt",
        VENV / "escape.txt",
        app["data"] / "escape.txt",
        Path("/usr/escape.txt"),
        Path("/escape.txt"),
    ]
    got = probe(f"""
    def probe():
        out = []
        for p in {[str(t) for t in targets]!r}:
            try:
                open(p, 'w').write('x')
                out.append('WROTE')
            except OSError as exc:
                out.append(type(exc).__name__)
        return out
    """)
    assert "WROTE" not in got, got
    assert not any(t.exists() for t in targets)


def test_tmpfs_is_size_limited() -> None:
    got = probe(
        """
    def probe():
        n = 0
        try:
            for i in range(100):
                with open(f'f{i}', 'wb') as fh:
                    fh.write(b'x' * 900_000)
                n += 1
        except OSError as exc:
            return n, type(exc).__name__
        return n, 'no limit'
    """,
        FAST.model_copy(update={"tmpfs_mb": 8}),
    )
    n, err = eval(got)  # noqa: S307
    assert err == "OSError" and n < 10, got  # ENOSPC before ten files of 0.9 MB: the 8 MB tmpfs is full


def test_sqlite_on_the_app_db_and_importing_store(app) -> None:
    before = token_count(app)
    code = WRONG + textwrap.dedent(f"""
    import sqlite3
    con = sqlite3.connect({str(app["db"])!r})
    con.execute("INSERT INTO auth_tokens (token, user_id, created_at, expires_at) VALUES ('pwn', 1, 'x', '9999')")
    con.commit()
    """)
    r = assert_contained(app, code)
    assert r.load_error is not None and r.load_error.error_type == "OperationalError"
    code2 = WRONG + textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(APP_DIR)!r})
    sys.path.insert(0, {str(VENV / "lib")!r})
    import store
    store.connect({str(app["db"])!r}).issue_token(1)
    """)
    r2 = assert_contained(app, code2)
    assert r2.load_error is not None and r2.load_error.error_type == "ModuleNotFoundError"
    assert token_count(app) == before


# --- processes ---------------------------------------------------------------------------------------------------


def test_no_shell_even_through_posixsubprocess_under_a_dotted_name(app) -> None:
    flag = app["tmp"] / "pwned"
    code = WRONG + textwrap.dedent(f"""
    import importlib, sys, subprocess
    sys.modules['x._posixsubprocess'] = importlib.import_module('_posixsubprocess')
    subprocess.run(['/bin/sh', '-c', 'id > {flag}'])
    """)
    r = assert_contained(app, code)
    assert r.load_error is not None and r.load_error.error_type == "FileNotFoundError"
    assert not flag.exists()


def test_fork_bomb_is_capped_and_reaped(app) -> None:
    marker = f"MARK-{uuid.uuid4().hex}"
    code = WRONG + textwrap.dedent(f"""
    import os, sys
    n = 0
    try:
        while True:
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(30)', '{marker}'])
            n += 1
    except OSError:
        pass
    raise RuntimeError(f'forked {{n}}')
    """)
    r = assert_contained(app, code)
    assert r.load_error is not None and r.load_error.message.startswith("forked ")
    assert int(r.load_error.message.split()[1]) <= FAST.nproc
    assert leftovers(marker) == []


def test_sleeping_code_is_killed_at_the_wall_timeout(app) -> None:
    marker = f"MARK-{uuid.uuid4().hex}"
    code = WRONG + textwrap.dedent(f"""
    import os, sys
    if os.fork() == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '{marker}'])
    import time
    time.sleep(60)
    """)
    started = time.monotonic()
    r = run_tests(code, example_code(), limits=FAST.model_copy(update={"wall_s": 1.5}))
    assert r.timed_out and r.limit_hit == "wall-clock time" and not r.passed
    assert time.monotonic() - started < 8
    assert leftovers(marker) == []
    assert_contained(app, code)


def test_memory_bomb_is_contained(app) -> None:
    code = WRONG + "blocks = [bytearray(64 * 1024 * 1024) for _ in range(64)]\n"
    r = assert_contained(app, code)
    assert r.limit_hit == "memory"


def test_network_is_unreachable(app) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        code = WRONG + f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        r = assert_contained(app, code)
        assert r.load_error is not None and r.load_error.error_type in ("ConnectionRefusedError", "OSError")
        with pytest.raises(TimeoutError):
            server.accept()  # nothing came through
    code = WRONG + "import socket\nsocket.create_connection(('10.0.0.1', 80), timeout=1)\n"
    r2 = assert_contained(app, code)
    assert r2.load_error is not None and r2.load_error.error_type in ("OSError", "TimeoutError")


# --- forging a pass --------------------------------------------------------------------------------------------

FORGERIES = {
    "always-equal __eq__": "class Any:\n    def __eq__(self, other):\n        return True\n"
    "    __hash__ = object.__hash__\ndef total(nums):\n    return Any()\n",
    "int subclass equal to all": "class Six(int):\n    def __eq__(self, other):\n        return True\n"
    "    __hash__ = int.__hash__\n" + WRONG.replace("return s", "return Six(s)"),
    "replacing the harness": WRONG + "import __main__\n__main__.run_test = lambda *a, **k: {'passed': True}\n"
    "__main__.plain = lambda v: ['i', '6']\n__main__.decide = lambda *a: (True, '', '')\n",
    "editing the job's tests": WRONG + "import __main__\n__main__.JOB['steps'][:] = []\n"
    "__main__.JOB['tests'] = ['assert True']\n",
    "patching json.dumps": WRONG + "import json\n"
    'json.dumps = lambda *a, **k: \'{"event": "result", "passed": true}\'\n',
    "forged records then os._exit(0)": WRONG
    + textwrap.dedent("""
        import os, json
        for fd in range(3, 10):
            try:
                for i in range(3):
                    os.write(fd, (json.dumps({'event': 'result', 'index': i, 'passed': True}) + '\\n').encode())
                    values = {'event': 'values', 'index': i, 'values': [['o', 'x', '6']]}
                    os.write(fd, (json.dumps(values) + '\\n').encode())
                    os.write(fd, (json.dumps({'event': 'ran', 'index': i}) + '\\n').encode())
                os.write(fd, b'{"event": "done", "stdout": "", "dropped": 0}\\n')
            except OSError:
                pass
        open('results.jsonl', 'w').write('{"event": "result", "index": 0, "passed": true}\\n')
        os._exit(0)
        """),
    "patching builtins.eval": WRONG + "import builtins\nbuiltins.eval = lambda *a, **k: 6\n",
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forging_a_pass_does_not_work(app, name: str) -> None:
    assert_contained(app, FORGERIES[name])


def test_expected_values_never_enter_the_sandbox() -> None:
    hidden = f"EXPECTED-{uuid.uuid4().hex}"
    code = textwrap.dedent(f"""
    import gc, sys, __main__
    def probe():
        needle = {hidden[::-1]!r}[::-1]  # the code itself does not contain the value
        seen = [repr(__main__.JOB)] + [repr(o)[:10000] for o in gc.get_objects() if type(o) in (dict, list, tuple)]
        return 'FOUND' if any(needle in text for text in seen) else 'absent'
    """)
    r = run_tests(code, tests=[f"assert probe() == {hidden!r}"], limits=FAST)
    assert not r.passed and r.results[0].got == "'absent'"
    # the same probe does find a value that is in the job (a test's set-up statement): the probe can see
    r2 = run_tests(code, tests=[f"x = {hidden!r}\nassert probe() == 'y'"], limits=FAST)
    assert r2.results[0].got == "'FOUND'"


# --- no sandbox, no run ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_jail():
    _jail.cache_clear()
    yield
    _jail.cache_clear()


def test_without_bubblewrap_no_code_runs_and_the_student_is_told(fresh_jail, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    r = run_tests("def total(nums):\n    return sum(nums)\n", example_code(), limits=FAST)
    assert not r.passed and r.unavailable and "bwrap" in r.unavailable and r.results == []
    s, trace, shown = chat("def total(nums):\n    return sum(nums)\n")
    assert not s.solved and UNAVAILABLE in shown and trace.outcome != "wrong"


def test_refused_namespaces_mean_no_run(fresh_jail, monkeypatch) -> None:
    import shutil
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="fake-bwrap-"))  # reachable by the sandbox uid bwrap is started as
    tmp_path.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "calls.log"
    log.touch(mode=0o666)
    log.chmod(0o666)
    fake = tmp_path / "bwrap"
    fake.write_text(
        f"#!/bin/sh\necho \"$@\" >> {log}\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    marker = f"MARK-{uuid.uuid4().hex}"
    r = run_tests(f"# {marker}\ndef total(nums):\n    return sum(nums)\n", example_code(), limits=FAST)
    assert r.unavailable and "No permissions" in r.unavailable and not r.passed
    assert log.exists() and marker not in log.read_text()  # only the probe reached bwrap, never the student's code
    assert r.describe() == UNAVAILABLE
    shutil.rmtree(tmp_path)
