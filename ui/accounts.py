"""Login, first-run setup, student registration with a class join code, classes and their settings."""

from __future__ import annotations

from typing import Any

from errors import InputError
from inference.models import MODELS
from store import ClassRoom, User, password_problem
from ui.context import AppContext, AuthError
from vocabulary import CLASS_POLICY_NAMES, DEFAULT_POLICY


def _throttled(ctx: AppContext, *keys: str) -> None:
    wait = ctx.throttle.longest_wait_s(*keys)
    if wait > 0:
        raise AuthError(
            f"Too many failed attempts; wait {int(wait) + 1} seconds and try again.",
            f"throttled {', '.join(k for k in keys if k)}",
            status=429,
        )


def setup_needed(ctx: AppContext) -> bool:
    """True until the first teacher account exists."""
    return ctx.store.count_users("teacher") == 0


def bootstrap_admin(ctx: AppContext, name: str, password: str) -> User | None:
    """Create the first teacher `name` with `password` when both are given and no teacher exists (the app passes
    the settings' admin_username / admin_password)."""
    if name and password and setup_needed(ctx):
        return ctx.store.create_user(name, password, "teacher")
    return None


def create_first_teacher(ctx: AppContext, username: str, password: str, display_name: str = "") -> tuple[str, User]:
    """First run only: anyone may create the first teacher account; afterwards teachers are created by the CLI."""
    if not setup_needed(ctx):
        raise AuthError("A teacher account exists already; log in, or ask a teacher to create yours.")
    user = ctx.store.create_user(username, password, "teacher", display_name)
    return ctx.store.issue_token(user.id), user


def login(ctx: AppContext, username: str, password: str, client: str = "") -> tuple[str, User]:
    """Check the password; failures are throttled per account and per client address (`client`, when known)."""
    account, addr = f"user:{(username or '').strip().lower()}", f"client:{client}" if client else ""
    _throttled(ctx, account, addr)
    user = ctx.store.authenticate(username or "", password or "")
    if user is None:
        ctx.throttle.fail(account)
        if addr:
            ctx.throttle.fail(addr)
        raise AuthError(
            "Wrong username or password.", f"failed login for {username!r} from {client or '?'}", status=401
        )
    return ctx.store.issue_token(user.id), user


def logout(ctx: AppContext, token: str | None) -> None:
    if token:
        ctx.store.revoke_token(token)


SIGNUP_FAILED = (
    "Could not sign up with that username and join code: check the code with your teacher, or choose another username."
)


def register_student(
    ctx: AppContext, username: str, password: str, join_code: str, display_name: str = "", client: str = ""
) -> tuple[str, User]:
    """A student signs up with their class's join code. A wrong code and a taken username get the same answer, and
    failures are throttled per client, so sign-up neither confirms usernames nor lets join codes be guessed."""
    addr = f"signup:{client}" if client else ""
    _throttled(ctx, addr)
    code = (join_code or "").strip().upper()
    problem = password_problem(username or "", password or "")
    if problem:  # says nothing about other accounts; checked before the code so it is not counted as a guess
        raise InputError(problem)
    if (
        not code
        or not any(c.join_code == code for c in _all_classes(ctx))
        or ctx.store.user_by_name(username or "") is not None
    ):
        if addr:
            ctx.throttle.fail(addr)
        raise InputError(SIGNUP_FAILED, f"sign-up refused for {username!r} from {client or '?'}")
    user = ctx.store.create_user(username, password, "student", display_name)
    ctx.store.join_class(user.id, code)
    return ctx.store.issue_token(user.id), user


def join_class(ctx: AppContext, token: str, join_code: str) -> ClassRoom:
    user = ctx.require(token, "student")
    key = f"join:{user.id}"
    _throttled(ctx, key)
    try:
        return ctx.store.join_class(user.id, join_code or "")
    except InputError:
        ctx.throttle.fail(key)
        raise


def _all_classes(ctx: AppContext) -> list[ClassRoom]:
    return [ClassRoom(**r) for r in ctx.store.db.execute("SELECT * FROM classes")]


def student_class(ctx: AppContext, user: User) -> ClassRoom | None:
    """The class whose settings apply to a student's new sessions: the one they joined first."""
    classes = ctx.store.classes_of_student(user.id)
    return classes[0] if classes else None


# -- teacher: classes -------------------------------------------------------------------------------------------
def my_classes(ctx: AppContext, token: str) -> list[ClassRoom]:
    teacher = ctx.require(token, "teacher")
    return ctx.store.classes_of_teacher(teacher.id)


def create_class(ctx: AppContext, token: str, name: str) -> ClassRoom:
    teacher = ctx.require(token, "teacher")
    return ctx.store.create_class(
        teacher.id,
        name or "",
        model="",
        policy=ctx.settings.policy if ctx.settings.policy in CLASS_POLICY_NAMES else DEFAULT_POLICY,
    )


def update_class(
    ctx: AppContext, token: str, class_id: Any, *, model: str, policy: str, allow_final_bottom_out: bool
) -> ClassRoom:
    teacher = ctx.require(token, "teacher")
    klass = ctx.store.get_class(int(class_id)) if class_id not in (None, "") else None
    if klass is None or klass.teacher_id != teacher.id:
        raise AuthError("That is not one of your classes.")
    if model and model not in MODELS and not model.endswith(".gguf"):
        raise InputError(f"Unknown model {model!r}; choose one of: {', '.join(sorted(MODELS))}, or a .gguf path.")
    return ctx.store.update_class(
        klass.id, model=model, policy=policy, allow_final_bottom_out=bool(allow_final_bottom_out)
    )
