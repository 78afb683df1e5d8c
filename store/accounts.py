"""Accounts: users and their passwords, login tokens, and the failed-login record the throttle reads.

Passwords are stored as argon2 hashes and tokens as their SHA-256, so a leaked database holds neither.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from errors import InputError
from store.db import Database
from store.migrations import now
from store.types import User

TOKEN_TTL = timedelta(hours=12)
# The most common passwords of leaked lists (lower-cased); a password equal to one of them or to the username
# (ignoring case) is refused.
_COMMON = """
password password1 password12 password123 password1234 passw0rd p@ssword p@ssw0rd 12345678 123456789 1234567890
87654321 11111111 00000000 12341234 11223344 qwertyui qwertyuiop qwerty123 1q2w3e4r 1qaz2wsx asdfghjk asdfghjkl
zxcvbnm1 iloveyou iloveyou1 sunshine princess football baseball welcome welcome1 letmein1 trustno1 dragon12
monkey12 superman batman12 starwars computer whatever abcdefgh abcd1234 abc12345 admin123 administrator changeme
secret12 teacher1 student1 students teacher123 student123 school123 letmeinplease
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())


def password_problem(username: str, password: str) -> str:
    """Why a password is refused, or "" when it is acceptable."""
    if len(password) < 8:
        return "A password needs at least 8 characters."
    low, name = password.lower(), username.strip().lower()
    if low == name:
        return "A password must not be the username."
    if low in COMMON_PASSWORDS or len(set(low)) < 3:
        return "That password is one of the most common ones; choose a less guessable password."
    return ""


def token_hash(token: str) -> str:
    """Tokens are stored as their SHA-256: a leaked database holds no usable token (tokens are 256-bit random)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _hasher() -> PasswordHasher:
    return PasswordHasher()


class Accounts:
    """The users, tokens and throttle part of `Store`."""

    db: Database

    # -- users & login --------------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, role: str, display_name: str = "") -> User:
        username = username.strip()
        if not username or len(username) > 64:
            raise InputError("A username needs 1 to 64 characters.")
        if problem := password_problem(username, password):
            raise InputError(problem)
        if role not in ("student", "teacher"):
            raise InputError("The role must be student or teacher.")
        if self.db.one("SELECT id FROM users WHERE username = ?", (username,)):
            raise InputError(f"The username {username!r} is taken.")
        row = self.db.one(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id, username, display_name, role, created_at",
            (username, display_name.strip() or username, role, _hasher().hash(password), now()),
        )
        assert row is not None
        return User(**row)

    def _user_row(self, where: str, value: Any) -> dict[str, Any] | None:
        return self.db.one(
            f"SELECT id, username, display_name, role, created_at, password_hash FROM users WHERE {where} = ?", (value,)
        )

    def get_user(self, user_id: int) -> User | None:
        row = self._user_row("id", user_id)
        return User(**{k: v for k, v in row.items() if k != "password_hash"}) if row else None

    def user_by_name(self, username: str) -> User | None:
        row = self._user_row("username", username.strip())
        return User(**{k: v for k, v in row.items() if k != "password_hash"}) if row else None

    def authenticate(self, username: str, password: str) -> User | None:
        row = self._user_row("username", username.strip())
        if row is None:
            _hasher().hash(password)  # same cost whether or not the user exists
            return None
        try:
            _hasher().verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return User(**{k: v for k, v in row.items() if k != "password_hash"})

    def count_users(self, role: str | None = None) -> int:
        if role:
            row = self.db.one("SELECT COUNT(*) AS n FROM users WHERE role = ?", (role,))
        else:
            row = self.db.one("SELECT COUNT(*) AS n FROM users")
        return int(row["n"]) if row else 0

    def list_users(self, role: str | None = None) -> list[User]:
        sql = "SELECT id, username, display_name, role, created_at FROM users"
        rows = (
            self.db.execute(sql + " WHERE role = ? ORDER BY username", (role,))
            if role
            else self.db.execute(sql + " ORDER BY username")
        )
        return [User(**r) for r in rows]

    def issue_token(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        expires = (datetime.now(UTC) + TOKEN_TTL).isoformat(timespec="seconds")
        self.db.execute(
            "INSERT INTO auth_tokens (token, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash(token), user_id, now(), expires),
        )
        return token

    def user_for_token(self, token: str | None) -> User | None:
        if not token or not isinstance(token, str):
            return None
        row = self.db.one("SELECT user_id, expires_at FROM auth_tokens WHERE token = ?", (token_hash(token),))
        if row is None or row["expires_at"] < now():
            return None
        return self.get_user(int(row["user_id"]))

    def revoke_token(self, token: str) -> None:
        self.db.execute("DELETE FROM auth_tokens WHERE token = ?", (token_hash(token),))

    # -- throttle -------------------------------------------------------------------------------------------
    def record_failure(self, key: str, at: float) -> None:
        self.db.execute("INSERT INTO throttle_failures (key, at) VALUES (?, ?)", (key, at))

    def failures_since(self, key: str, since: float) -> list[float]:
        """The times (Unix seconds) of `key`'s failures after `since`, oldest first."""
        rows = self.db.execute("SELECT at FROM throttle_failures WHERE key = ? AND at > ? ORDER BY at", (key, since))
        return [float(r["at"]) for r in rows]

    def forget_failures(self, before: float) -> None:
        self.db.execute("DELETE FROM throttle_failures WHERE at <= ?", (before,))
