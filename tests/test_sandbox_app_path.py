"""Hostile submissions through the app's own path (issue 14, Done when): a student logged in to a real AppContext
sends a fenced code block to a code session (ui.student.send, the store, the live tutor, the bubblewrap sandbox).
Each probe: the session is not solved, no token is created, the app's password hash and data are not shown."""

from __future__ import annotations

import textwrap

import pytest

import inference
from knowledge.embeddings import HashEmbedder
from settings import Settings
from ui import accounts, student
from ui.context import AppContext

WRONG = "def total(nums):\n    s = 0\n    for i in range(1, len(nums)):\n        s += nums[i]\n    return s\n"
PROBES = {
    "insert a token row with sqlite3": "import sqlite3\ncon = sqlite3.connect({db!r})\n"
    "con.execute(\"INSERT INTO auth_tokens (token, user_id, created_at, expires_at) VALUES ('pwn', 1, 'x', "
    "'9999')\")\ncon.commit()\n",
    "exception carrying the password hash": "raise ValueError(open({db!r}, 'rb').read().decode('latin-1'))\n",
    "always-equal result": "class Any:\n    def __eq__(self, other):\n        return True\n\n"
    "def total(nums):\n    return Any()\n",
    "chdir and a relative open": "import os\nos.chdir({data!r})\nprint(open('tutor.db', 'rb').read(200))\n",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("apppath")
    ctx = AppContext(
        Settings(backend="none", data_dir=data), backend=inference.get_backend("none"), embedder=HashEmbedder()
    )
    tok, _ = accounts.create_first_teacher(ctx, "teach", "teachpass1")
    code = accounts.create_class(ctx, tok, "Period 1").join_code
    s_tok, _ = accounts.register_student(ctx, "mallory", "mallorypass1", code)
    yield ctx, s_tok, data
    ctx.store.close()


@pytest.mark.parametrize("name", list(PROBES))
def test_hostile_code_through_the_app(app, name):
    ctx, s_tok, data = app
    view = student.start_custom(ctx, s_tok, WRONG, "assert total([1, 2, 3]) == 6\nassert total([5]) == 5")
    hashes = [r["password_hash"] for r in ctx.store.db.execute("SELECT password_hash FROM users")]
    tokens = ctx.store.db.one("SELECT COUNT(*) AS n FROM auth_tokens")["n"]
    body = PROBES[name].format(db=str(data / "tutor.db"), data=str(data))
    code = body if "def total" in body else WRONG + body
    views = list(student.send(ctx, s_tok, view.session_id, f"Here is my fix:\n```python\n{textwrap.dedent(code)}\n```"))
    shown = "".join(str(m.get("content", "")) for v in views for m in v.messages)
    assert views[-1].outcome != "solved" and ctx.store.get_session(view.session_id).outcome != "solved", name
    assert ctx.store.db.one("SELECT COUNT(*) AS n FROM auth_tokens")["n"] == tokens, name
    assert not any(h in shown or h[:30] in shown for h in hashes), name
    assert "SQLite format" not in shown, name
