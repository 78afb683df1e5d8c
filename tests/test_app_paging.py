"""Transcripts and exports past 500 sessions (issue 14, item 3): pages cover every session once, exports have all.
Real SQLite, and a real PostgreSQL when TUTOR_TEST_POSTGRES_URL is set; the API through FastAPI's test client."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import inference
from knowledge.bank import load_starter
from knowledge.embeddings import HashEmbedder
from settings import Settings
from store.testing import fresh_database_url, postgres_unavailable_reason
from ui import accounts, api, teacher
from ui.context import AppContext

_PG = postgres_unavailable_reason()
N = 1234


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(_PG is not None, reason=_PG or ""))]
)
def busy(request, tmp_path):
    """A teacher whose class has N sessions (many started in the same second, as a class starting together does)."""
    with fresh_database_url(request.param, tmp_path) as url:
        ctx = AppContext(
            Settings(backend="none", data_dir=tmp_path / "data", database_url=url),
            backend=inference.get_backend("none"),
            embedder=HashEmbedder(),
        )
        tok, _ = accounts.create_first_teacher(ctx, "teach", "teachpass1")
        klass = accounts.create_class(ctx, tok, "Period 1")
        problem = load_starter()[0].model_dump(mode="json")
        users = [ctx.store.create_user(f"stud{n}", "studpass12", "student") for n in range(3)]
        for u in users:
            ctx.store.join_class(u.id, klass.join_code)
        ids = []
        with ctx.store.db.transaction():
            for n in range(N):
                s = ctx.store.start_session(users[n % 3].id, problem, policy="tree", class_id=klass.id)
                ctx.store.add_turn(s.id, "student", f"answer {n}")
                ids.append(s.id)
        yield ctx, tok, ids
        ctx.store.close()


def test_pages_and_exports_cover_every_session(busy):
    ctx, tok, ids = busy
    seen, after = [], None
    while True:
        page = teacher.transcripts(ctx, tok, after=after)
        assert len(page) <= teacher.PAGE_SIZE
        seen += [s.id for s in page]
        if len(page) < teacher.PAGE_SIZE:
            break
        after = f"{page[-1].started_at}|{page[-1].id}"
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    csv_ids = {
        int(r["session_id"])
        for r in csv.DictReader(io.StringIO(teacher.export(ctx, tok, "csv").read_text(encoding="utf-8")))
    }
    assert csv_ids == set(ids)
    lines = teacher.export(ctx, tok, "jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(ids)
    # the oldest session is still readable by its teacher (not only the newest 500)
    assert teacher.transcript(ctx, tok, min(ids)).turns[0].text == "answer 0"


def test_the_api_pages_with_a_cursor(busy):
    ctx, tok, ids = busy
    app = FastAPI()
    api.install(app, ctx)
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {tok}"}
    seen, params = [], {"limit": 300}
    while True:
        r = client.get("/api/v1/teacher/transcripts", params=params, headers=headers)
        assert r.status_code == 200
        seen += [s["id"] for s in r.json()]
        if "X-Next-Cursor" not in r.headers:
            break
        params = {"limit": 300, "after": r.headers["X-Next-Cursor"]}
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert client.get("/api/v1/teacher/transcripts", params={"after": "nonsense"}, headers=headers).status_code == 400
    export = client.get("/api/v1/teacher/export", params={"format": "csv"}, headers=headers).text
    assert {int(r["session_id"]) for r in csv.DictReader(io.StringIO(export))} == set(ids)


def test_the_problem_filter_lists_problems_beyond_the_first_page(busy):
    ctx, tok, ids = busy
    first = ctx.store.get_session(ids[0])
    other = load_starter()[1]
    old = ctx.store.start_session(
        first.student_id, other.model_dump(mode="json"), policy="tree", class_id=first.class_id
    )
    ctx.store.db.execute("UPDATE sessions SET started_at = ? WHERE id = ?", ("2000-01-01T00:00:00", old.id))
    assert other.id not in {s.problem_id for s in teacher.transcripts(ctx, tok)}  # the oldest: not on the first page
    assert teacher.transcript_problems(ctx, tok) == sorted({first.problem_id, other.id})
    stranger = ctx.store.create_user("teach2", "teachpass2", "teacher")
    assert ctx.store.session_problems(stranger.id) == []  # another teacher's students are not theirs
