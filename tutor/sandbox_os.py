"""The OS jail for student code: bubblewrap with fresh namespaces and a read-only view of one Python interpreter.

What the jailed process sees: the interpreter binary, its standard library (without site-packages), the shared
libraries those two link to (found with `ldd`), its own `/proc` (a new pid namespace: only its own processes), a
minimal `/dev`, and a private, size-limited tmpfs at `/work` (its cwd, $HOME and $TMPDIR). Nothing of the app, its
venv, its data dir, /etc or other processes exists there; `/` is read-only. It runs as uid/gid 65534 in a new user
namespace (no capabilities, no further user namespaces), with no network (an empty net namespace), its own ipc/uts
namespaces and session, and dies with its parent. When the app runs as root, bubblewrap itself is started as uid
65534, so the sandbox is an unprivileged user on the host too (root is exempt from RLIMIT_NPROC).

If no interpreter can be jailed here (bwrap missing, namespaces refused), `jail()` raises `SandboxUnavailable` and
no student code runs at all: there is no weaker fallback.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

SANDBOX_ID = 65534  # "nobody": the uid and gid inside the sandbox (and of bwrap itself when the app is root)
WORKDIR = "/work"
PROBE = "print('sandbox ok')"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_LIBC = ctypes.CDLL(None, use_errno=True)  # looked up here: the forked child only makes the call
# extension modules that drag in GUI libraries and have no use in an exercise
_SKIP_EXTENSIONS = ("_tkinter",)
_PATHS_SCRIPT = (
    "import json, sys, sysconfig\n"
    "v = {'base': sys.base_prefix, 'platbase': sys.base_exec_prefix, 'installed_base': sys.base_prefix,"
    " 'installed_platbase': sys.base_exec_prefix}\n"
    "p = sysconfig.get_paths(vars=v)\n"
    "print(json.dumps({'stdlib': p['stdlib'], 'platstdlib': p['platstdlib'], 'site': [p['purelib'], p['platlib']],"
    " 'path': sys.path}))\n"
)


class SandboxUnavailable(RuntimeError):
    """The OS sandbox cannot be set up on this machine; student code must not run."""


@dataclass(frozen=True)
class Jail:
    interpreter: str
    bwrap: str
    binds: tuple[tuple[str, str], ...]  # (host source, path inside)
    hidden: tuple[str, ...]  # dirs inside the binds covered by an empty tmpfs (site-packages)
    run_as: int | None  # host uid/gid to start bwrap as (None: keep the app's)
    layers: tuple[str, ...] = field(default=())

    def argv(self, tmpfs_bytes: int, script: str) -> list[str]:
        args = [
            self.bwrap,
            "--unshare-user",
            "--disable-userns",
            "--uid",
            str(SANDBOX_ID),
            "--gid",
            str(SANDBOX_ID),
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--clearenv",
            "--setenv",
            "PATH",
            "/usr/bin:/bin",
            "--setenv",
            "HOME",
            WORKDIR,
            "--setenv",
            "TMPDIR",
            WORKDIR,
            "--setenv",
            "LANG",
            "C.UTF-8",
        ]
        for src, dst in self.binds:
            args += ["--ro-bind", src, dst]
        for d in self.hidden:
            args += ["--tmpfs", d]
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(tmpfs_bytes),
            "--tmpfs",
            WORKDIR,
            "--chdir",
            WORKDIR,
            "--remount-ro",
            "/",
            "--",
            self.interpreter,
            "-I",
            "-S",
            "-c",
            script,
        ]
        return args

    def popen_kwargs(self) -> dict:
        """How to start bwrap: killed with the app (parent-death signal), as `run_as` when the app is root."""
        kwargs: dict = {"preexec_fn": die_with_parent(os.getpid())}
        if self.run_as is not None:
            kwargs.update(user=self.run_as, group=self.run_as, extra_groups=[])
        return kwargs


def die_with_parent(parent: int) -> Callable[[], None]:
    """A preexec_fn: the forked child asks the kernel for SIGKILL when its parent dies, before it execs bwrap
    (Popen runs it after switching the user, which would otherwise clear the setting); if the parent is already
    gone, the child exits at once. bwrap's own --die-with-parent covers the processes it starts in turn."""

    def arm() -> None:
        if _LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(127)

    return arm


def _candidates() -> list[str]:
    found = []
    for exe in (getattr(sys, "_base_executable", "") or sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if exe and os.path.exists(exe):
            real = os.path.realpath(exe)
            if real not in found:
                found.append(real)
    return found


def _linked(files: list[str]) -> set[str]:
    """Shared libraries (and the loader) the given ELF files need, as `ldd` resolves them."""
    ldd = shutil.which("ldd")
    if not ldd:
        raise SandboxUnavailable("ldd is missing, so the interpreter's libraries cannot be found")
    libs: set[str] = set()
    for f in files:
        try:
            out = subprocess.run([ldd, f], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            libs.update(tok for tok in line.split() if tok.startswith("/") and os.path.exists(tok))
    return libs


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _view(interpreter: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The read-only binds for one interpreter: binary, standard library, linked libraries; site-packages hidden."""
    out = subprocess.run(
        [interpreter, "-I", "-S", "-c", _PATHS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=20,
        env={"PATH": "/usr/bin:/bin"},
    )
    if out.returncode != 0:
        raise SandboxUnavailable(f"{interpreter} did not start: {out.stderr.strip()[-200:]}")
    info = json.loads(out.stdout)
    stdlib = {os.path.realpath(info["stdlib"]), os.path.realpath(info["platstdlib"])}
    dirs = sorted(stdlib | {os.path.realpath(p) for p in info["path"] if os.path.isdir(p)})
    dirs = [d for d in dirs if not any(_inside(d, o) and d != o for o in dirs)]  # outermost only
    roots = [d for d in dirs if any(_inside(d, s) or _inside(s, d) for s in stdlib)]
    ext_dirs = [os.path.realpath(p) for p in info["path"] if os.path.isdir(p) and "-packages" not in p]
    extensions = [
        f
        for d in ext_dirs
        if any(_inside(d, r) for r in roots)
        for f in glob.glob(os.path.join(d, "*.so"))
        if not os.path.basename(f).startswith(_SKIP_EXTENSIONS)
    ]
    binds = [(interpreter, interpreter)] + [(d, d) for d in roots]
    binds += [(os.path.realpath(lib), lib) for lib in sorted(_linked([interpreter, *extensions]))]
    hidden = tuple(
        sorted(
            {
                os.path.realpath(s)
                for s in info["site"]
                if os.path.isdir(s) and any(_inside(os.path.realpath(s), r) for r in roots)
            }
        )
    )
    return tuple(binds), hidden


def _probe(jail: Jail) -> str:
    """'' when a trivial program runs in the jail, else the reason it did not."""
    try:
        r = subprocess.run(
            jail.argv(1 << 20, PROBE),
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            **jail.popen_kwargs(),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if r.returncode == 0 and r.stdout.strip() == "sandbox ok":
        return ""
    return (r.stderr or r.stdout).strip()[-300:] or f"exit status {r.returncode}"


@functools.cache
def _jail() -> Jail | str:
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return "bubblewrap (bwrap) is not installed"
    run_as = SANDBOX_ID if os.geteuid() == 0 else None
    reasons = []
    for interpreter in _candidates():
        try:
            binds, hidden = _view(interpreter)
        except (SandboxUnavailable, OSError, subprocess.SubprocessError, ValueError) as exc:
            reasons.append(f"{interpreter}: {exc}")
            continue
        layers = (
            "bubblewrap",
            "user+pid+net+ipc+uts namespaces",
            f"uid {SANDBOX_ID}",
            "read-only interpreter view",
            "private tmpfs",
            "rlimits",
            "wall timeout",
        )
        jail = Jail(interpreter=interpreter, bwrap=bwrap, binds=binds, hidden=hidden, run_as=run_as, layers=layers)
        why = _probe(jail)
        if not why:
            return jail
        reasons.append(f"{interpreter}: {why}")
    return "; ".join(reasons) or "no Python interpreter found"


def jail() -> Jail:
    """The jail to run student code in (built and probed once per process), or SandboxUnavailable."""
    got = _jail()
    if isinstance(got, str):
        _jail.cache_clear()  # try again next time: the admin may install bubblewrap meanwhile
        raise SandboxUnavailable(got)
    return got
