"""Bootstrap run inside the sandbox process (as a script, with `python -I -S`). Not imported by the tutor.

Reads the student's code and the tests from the current directory, installs the in-process guards (no network,
no new processes, no writes outside the working directory, no ctypes), caps stdout/stderr, then runs each test
and writes one JSON line per event to results.jsonl.
"""

import ast
import io
import json
import os
import sys
import traceback

CWD = os.path.realpath(os.getcwd())
with open("job.json", encoding="utf-8") as fh:
    JOB = json.load(fh)
RESULTS = open("results.jsonl", "w", encoding="utf-8")  # noqa: SIM115 - kept open for the whole run
OUTPUT_CHARS = int(JOB.get("output_chars", 4000))


def emit(record):
    RESULTS.write(json.dumps(record) + "\n")
    RESULTS.flush()


class CappedWriter(io.TextIOBase):
    def __init__(self):
        self.parts, self.size, self.dropped = [], 0, 0

    def write(self, s):
        s = str(s)
        room = OUTPUT_CHARS - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self):
        return "".join(self.parts)


_BLOCKED_EVENTS = {
    "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyaddr", "socket.sendto", "os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "os.spawn",
    "os.system", "subprocess.Popen", "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function",
    "os.kill", "os.killpg", "signal.pthread_kill", "resource.setrlimit", "os.chroot",
}
_PATH_EVENTS = {
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.symlink", "os.link", "os.truncate",
    "shutil.rmtree", "os.utime", "os.chflags", "os.mkfifo", "os.mknod", "shutil.copyfile", "shutil.move",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _inside(path):
    try:
        if isinstance(path, int):
            return True
        p = os.fsdecode(path)
        real = os.path.realpath(p if os.path.isabs(p) else os.path.join(CWD, p))
    except (TypeError, ValueError):
        return False
    return real == CWD or real.startswith(CWD + os.sep)


# modules that start processes or call C directly without their own audit events
_BLOCKED_IMPORTS = {"_posixsubprocess", "subprocess", "multiprocessing", "_multiprocessing", "ctypes", "_ctypes", "pty",
                    "_xxsubinterpreters", "_posixshmem"}


def audit(event, args):
    if event == "import" and args and str(args[0]).split(".")[0] in _BLOCKED_IMPORTS:
        raise PermissionError(f"importing {args[0]} is disabled in the sandbox")
    if event in _BLOCKED_EVENTS:
        what = "network access" if event.startswith("socket") else "this operation"
        raise PermissionError(f"{what} is disabled in the sandbox ({event})")
    if event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing and path is not None and not _inside(path):
            raise PermissionError(f"writing outside the sandbox directory is not allowed: {path}")
    elif event in _PATH_EVENTS:
        for a in args:
            if isinstance(a, str | bytes) and not _inside(a):
                raise PermissionError(f"changing files outside the sandbox directory is not allowed: {a}")


def _block_sockets():
    import socket

    def refuse(*a, **k):
        raise PermissionError("network access is disabled in the sandbox")

    class NoSocket:
        def __init__(self, *a, **k):
            refuse()

    socket.socket = NoSocket
    for name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "socketpair", "fromfd"):
        setattr(socket, name, refuse)


def _student_line(tb):
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == "student.py":
            line = frame.lineno
    return line


def _short(value, n=200):
    try:
        r = repr(value)
    except Exception as exc:  # a student's __repr__ may raise
        r = f"<unprintable {type(exc).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


def run_test(i, test, ns):
    record = {"event": "result", "index": i, "test": test, "passed": False, "error_type": None, "message": "",
              "line": None, "expected": None, "got": None}
    try:
        tree = ast.parse(test, mode="exec")
        node = tree.body[0] if len(tree.body) == 1 else None
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
                and isinstance(node.test.ops[0], ast.Eq):
            got = eval(compile(ast.Expression(node.test.left), f"<test {i}>", "eval"), ns)
            expected = eval(compile(ast.Expression(node.test.comparators[0]), f"<test {i}>", "eval"), ns)
            record["got"], record["expected"] = _short(got), _short(expected)
            if not got == expected:
                raise AssertionError(f"expected {record['expected']}, got {record['got']}")
        else:
            exec(compile(tree, f"<test {i}>", "exec"), ns)
        record["passed"] = True
    except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything, SystemExit included
        record["error_type"] = type(exc).__name__
        record["message"] = str(exc)[:300]
        record["line"] = _student_line(exc.__traceback__)
    return record


def _on_cpu_limit(signum, frame):
    emit({"event": "limit", "what": "CPU time"})
    os._exit(124)


def main():
    import signal

    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    out = CappedWriter()
    _block_sockets()
    sys.addaudithook(audit)
    sys.stdout = sys.stderr = out
    ns = {"__name__": "student", "__builtins__": __builtins__}
    loaded = True
    try:
        exec(compile(JOB["code"], "student.py", "exec"), ns)
        if JOB.get("entry_point") and JOB["entry_point"] not in ns:
            raise NameError(f"the code does not define {JOB['entry_point']}")
    except BaseException as exc:  # noqa: BLE001
        loaded = False
        line = exc.lineno if isinstance(exc, SyntaxError) else _student_line(exc.__traceback__)
        emit({"event": "load_error", "error_type": type(exc).__name__, "message": str(exc)[:300], "line": line})
    if loaded:
        for i, test in enumerate(JOB["tests"]):
            emit({"event": "start", "index": i})
            emit(run_test(i, test, ns))
    emit({"event": "done", "stdout": out.text(), "dropped": out.dropped})


main()
