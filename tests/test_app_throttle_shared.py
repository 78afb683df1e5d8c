"""Login throttling shared by app workers (issue 14, item 3): the failure counters live in the store, so two app
contexts on one database (two workers) give a guesser MAX_FAILURES tries in all, not MAX_FAILURES each.
Real SQLite, and a real PostgreSQL when TUTOR_TEST_POSTGRES_URL is set; no model."""

from __future__ import annotations

import pytest

import inference
from knowledge.embeddings import HashEmbedder
from settings import Settings
from store.testing import fresh_database_url, postgres_unavailable_reason
from ui import accounts
from ui.context import AppContext, AuthError
from ui.throttle import MAX_FAILURES

_PG = postgres_unavailable_reason()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(_PG is not None, reason=_PG or ""))]
)
def workers(request, tmp_path):
    with fresh_database_url(request.param, tmp_path) as url:
        ctxs = [
            AppContext(
                Settings(backend="none", data_dir=tmp_path / f"data{n}", database_url=url),
                backend=inference.get_backend("none"),
                embedder=HashEmbedder(),
            )
            for n in (1, 2)
        ]
        yield ctxs
        for c in ctxs:
            c.store.close()


def test_two_workers_share_the_login_throttle(workers):
    a, b = workers
    tok, _ = accounts.create_first_teacher(a, "teach", "teachpass1")
    code = accounts.create_class(a, tok, "Period 1").join_code
    accounts.register_student(a, "alice", "alicepass1", code)
    for n in range(MAX_FAILURES):  # the guesses alternate between the workers, as a load balancer would send them
        with pytest.raises(AuthError, match="Wrong"):
            accounts.login((a, b)[n % 2], "alice", f"guess{n}", client="10.0.0.1")
    for ctx in (a, b):
        with pytest.raises(AuthError, match="Too many") as exc:
            accounts.login(ctx, "alice", "alicepass1", client="10.0.0.9")
        assert exc.value.status == 429
    # join-code guessing across workers is one count too
    s_tok, s_user = accounts.login(a, "teach", "teachpass1", client="10.0.0.2")
    stud = a.store.create_user("bob", "bobpass12", "student")
    s_tok = a.store.issue_token(stud.id)
    for n in range(MAX_FAILURES):
        with pytest.raises(Exception, match="join code"):
            accounts.join_class((a, b)[n % 2], s_tok, f"WRONG{n}")
    with pytest.raises(AuthError, match="Too many"):
        accounts.join_class(b, s_tok, code)
    # a fresh worker on the same database (a restart) still knows the failures
    c = AppContext(a.settings, backend=inference.get_backend("none"), embedder=HashEmbedder())
    try:
        with pytest.raises(AuthError, match="Too many"):
            accounts.login(c, "alice", "alicepass1")
    finally:
        c.store.close()
