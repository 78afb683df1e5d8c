"""The runner inside the sandbox (run as `python -I -S -c <this file's text>` under bubblewrap; never imported by
the app). It decides nothing: it reads the job (the student's code and, per test, the expressions to evaluate or
the set-up statement to run) as one line from stdin, then watches that pipe and exits when the app's end closes
(an app that died leaves no runner behind), sets its own resource limits before any student code exists, runs the
code, and writes one JSON line per event to its protocol channel (the original stdout; the student's fd-level
output goes to stderr, captured separately). Values go back as plain data (`encode`), never as verdicts: the app
compares them with the expected values (tutor/sandbox_verdict.py). Whatever the student's code does to this
process (patching builtins, this module, json, writing forged lines, exiting early) only changes the data it
sends, and wrong data stays wrong.
"""

import contextlib
import io
import json
import os
import resource
import signal
import sys
import threading
import traceback

_eval, _exec, _compile, _repr, _type, _isinstance = eval, exec, compile, repr, type, isinstance
PROTO = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the protocol channel
os.dup2(2, 1)  # fd-level writes to stdout join stderr (the captured output)
JOB = json.loads(sys.stdin.readline())  # one line; the app keeps the pipe open while it waits for this run
WATCH = os.dup(0)
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)  # the student's code reads an empty stdin (input() raises EOFError)
os.close(_null)


def _watchdog():
    """When the app's end of the job pipe closes (the app is gone, or done with this run), end the sandbox: every
    other process in it, then this one. Only in the sandbox's own pid namespace (the runner is pid 2 under bwrap's
    init there), where kill(-1) reaches nothing else; bwrap's init exits once its children are gone."""
    try:
        while os.read(WATCH, 4096):
            pass
    except OSError:
        pass
    if os.getpid() in (1, 2):
        with contextlib.suppress(OSError):
            os.kill(-1, signal.SIGKILL)
    os._exit(137)


threading.Thread(target=_watchdog, name="watchdog", daemon=True).start()
OUTPUT_CHARS = int(JOB.get("output_chars", 4000))
_dumps = json.dumps

MB = 1024 * 1024
for _res, _value in (
    (resource.RLIMIT_CPU, (JOB["cpu_s"], JOB["cpu_s"] + 1)),  # SIGXCPU (reported), then SIGKILL
    (resource.RLIMIT_AS, (JOB["memory_mb"] * MB,) * 2),
    (resource.RLIMIT_NPROC, (JOB["nproc"],) * 2),
    (resource.RLIMIT_FSIZE, (JOB["fsize_mb"] * MB,) * 2),
    (resource.RLIMIT_NOFILE, (JOB["nofile"],) * 2),
    (resource.RLIMIT_CORE, (0, 0)),
):
    _soft, _hard = _value
    _cur = resource.getrlimit(_res)[1]
    if _cur != resource.RLIM_INFINITY:
        _soft, _hard = min(_soft, _cur), min(_hard, _cur)
    resource.setrlimit(_res, (_soft, _hard))


def emit(record):
    PROTO.write(_dumps(record) + "\n")
    PROTO.flush()


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


MAX_NODES, MAX_DEPTH, MAX_CHARS = 20_000, 40, 200_000


class _TooBig(Exception):
    pass


def _short(value, n=300):
    try:
        r = _repr(value)
    except BaseException as exc:  # noqa: BLE001 - a student's __repr__ may raise anything
        r = f"<unprintable {_type(exc).__name__}>"
    r = str.__str__(r) if _isinstance(r, str) else "<repr is not a string>"
    return r if len(r) <= n else r[: n - 3] + "..."


def encode(v, depth=0, budget=None):
    """Plain data for a value, by its built-in base type (a subclass's overrides do not count)."""
    budget = budget if budget is not None else [MAX_NODES, MAX_CHARS]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig
    if v is None:
        return ["N"]
    if _isinstance(v, bool):
        return ["b", v is True]
    if _isinstance(v, int):
        try:
            return ["i", int.__repr__(v)]
        except ValueError:  # over the int-to-str digit limit
            raise _TooBig from None
    if _isinstance(v, float):
        return ["f", float.__repr__(v)]
    if _isinstance(v, complex):
        return ["c", float.__repr__(complex.real.__get__(v)), float.__repr__(complex.imag.__get__(v))]
    if _isinstance(v, str):
        s = str.__str__(v)
        budget[1] -= len(s)
        if budget[1] < 0:
            raise _TooBig
        return ["s", s]
    if _isinstance(v, bytes | bytearray):
        raw = bytes(v) if _type(v) in (bytes, bytearray) else bytes(memoryview(v))
        budget[1] -= 2 * len(raw)
        if budget[1] < 0:
            raise _TooBig
        return ["B" if _isinstance(v, bytearray) else "y", raw.hex()]
    for base, tag in ((list, "l"), (tuple, "t"), (set, "S"), (frozenset, "F")):
        if _isinstance(v, base):
            return [tag, [encode(x, depth + 1, budget) for x in base.__iter__(v)]]
    if _isinstance(v, dict):
        return ["d", [[encode(k, depth + 1, budget), encode(x, depth + 1, budget)] for k, x in dict.items(v)]]
    return ["o", _type(v).__name__, _short(v)]


def plain(v):
    try:
        return encode(v)
    except _TooBig:
        return ["o", _type(v).__name__, "<too large to compare>"]


def _student_line(tb):
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == "student.py":
            line = frame.lineno
    return line


def _error(exc):
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001
        message = ""
    return {"type": _type(exc).__name__, "message": message[:300], "line": _student_line(exc.__traceback__)}


def _on_cpu_limit(signum, frame):
    emit({"event": "limit", "what": "CPU time"})
    os._exit(124)


def main():
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    out = CappedWriter()
    sys.stdout = sys.stderr = out
    ns = {"__name__": "student", "__builtins__": __builtins__}
    try:
        _exec(_compile(JOB["code"], "student.py", "exec"), ns)
        if JOB.get("entry_point") and JOB["entry_point"] not in ns:
            raise NameError(f"the code does not define {JOB['entry_point']}")
    except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything, SystemExit included
        err = _error(exc)
        if _isinstance(exc, SyntaxError):
            err["line"] = exc.lineno
        emit({"event": "load_error", **err})
        emit({"event": "done", "stdout": out.text(), "dropped": out.dropped})
        return
    for step in JOB["steps"]:
        i = step["index"]
        emit({"event": "start", "index": i})
        try:
            if step["kind"] == "exec":
                _exec(_compile(step["parts"][0], f"<test {i}>", "exec"), ns)
                emit({"event": "ran", "index": i})
            else:
                for src in step["setup"]:
                    _exec(_compile(src, f"<test {i}>", "exec"), ns)
                values = [plain(_eval(_compile(src, f"<test {i}>", "eval"), ns)) for src in step["parts"]]
                emit({"event": "values", "index": i, "values": values})
        except BaseException as exc:  # noqa: BLE001
            emit({"event": "error", "index": i, **_error(exc)})
    emit({"event": "done", "stdout": out.text(), "dropped": out.dropped})


main()
