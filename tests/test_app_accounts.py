"""Login hardening (issue 14, item 3): hashed tokens, a password policy, throttled logins, sign-ups and join codes.
In-process app context with a real SQLite store; no model."""

from __future__ import annotations

import pytest

from errors import InputError
from ui import accounts
from ui.context import AuthError
from ui.throttle import MAX_FAILURES


@pytest.fixture
def code(ctx):
    t, _ = accounts.create_first_teacher(ctx, "teach", "teachpass1")
    return accounts.create_class(ctx, t, "Period 1").join_code


def test_tokens_are_stored_hashed(ctx, code):
    tok, user = accounts.login(ctx, "teach", "teachpass1")
    stored = [r["token"] for r in ctx.store.db.execute("SELECT token FROM auth_tokens WHERE user_id = ?", (user.id,))]
    assert stored and tok not in stored and all(len(s) == 64 for s in stored)
    assert ctx.store.user_for_token(tok).id == user.id
    assert ctx.store.user_for_token(stored[0]) is None  # what a leaked database holds is not a token
    accounts.logout(ctx, tok)
    assert ctx.store.user_for_token(tok) is None


@pytest.mark.parametrize(
    "username,password",
    [
        ("maria", "maria"),
        ("mariarossi", "MariaRossi"),
        ("maria", "password1"),
        ("maria", "12345678"),
        ("maria", "qwertyuiop"),
        ("maria", "Password123"),
    ],
)
def test_password_policy(ctx, code, username, password):
    with pytest.raises(InputError, match="password"):
        accounts.register_student(ctx, username, password, code)
    assert ctx.store.user_by_name(username) is None


def test_password_equal_to_username_is_refused(ctx, code):
    with pytest.raises(InputError, match="username"):
        accounts.register_student(ctx, "longusername", "LongUsername", code)


def test_failed_logins_are_throttled_per_account_and_per_client(ctx, code):
    accounts.register_student(ctx, "alice", "alicepass1", code)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError, match="Wrong"):
            accounts.login(ctx, "alice", "guess", client="10.0.0.1")
    with pytest.raises(AuthError, match="Too many") as exc:  # even the right password, from anywhere, waits
        accounts.login(ctx, "alice", "alicepass1", client="10.0.0.2")
    assert exc.value.status == 429
    # one client guessing across many accounts is stopped too
    for n in range(MAX_FAILURES):
        with pytest.raises(AuthError, match="Wrong"):
            accounts.login(ctx, f"user{n}", "guess", client="10.0.0.3")
    with pytest.raises(AuthError, match="Too many"):
        accounts.login(ctx, "teach", "teachpass1", client="10.0.0.3")
    assert accounts.login(ctx, "teach", "teachpass1", client="10.0.0.4")[1].username == "teach"


def test_sign_up_does_not_say_which_usernames_exist_and_join_codes_are_throttled(ctx, code):
    accounts.register_student(ctx, "alice", "alicepass1", code)
    with pytest.raises(InputError) as taken:
        accounts.register_student(ctx, "alice", "otherpass1", code, client="10.0.0.5")
    with pytest.raises(InputError) as bad_code:
        accounts.register_student(ctx, "zed", "otherpass1", "WRONG1", client="10.0.0.5")
    assert taken.value.user_message == bad_code.value.user_message and "alice" not in taken.value.user_message
    for n in range(MAX_FAILURES):
        with pytest.raises((InputError, AuthError)):
            accounts.register_student(ctx, f"kid{n}", "otherpass1", f"GUESS{n}", client="10.0.0.6")
    with pytest.raises(AuthError, match="Too many"):
        accounts.register_student(ctx, "kid99", "otherpass1", code, client="10.0.0.6")  # the right code, too late
    assert ctx.store.user_by_name("kid99") is None
    s_tok, _ = accounts.register_student(ctx, "bob", "bobpass123", code, client="10.0.0.7")
    for n in range(MAX_FAILURES):
        with pytest.raises((InputError, AuthError)):
            accounts.join_class(ctx, s_tok, f"GUESS{n}")
    with pytest.raises(AuthError, match="Too many"):
        accounts.join_class(ctx, s_tok, code)
