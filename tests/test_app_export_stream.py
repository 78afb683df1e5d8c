"""The API's teacher export is sent in 256 KiB pieces and the file is deleted as soon as it is opened for sending."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from knowledge.bank import load_starter
from ui import api


def test_opened_once_deletes_the_file_and_reads_it_in_chunks(tmp_path: Path):
    path = tmp_path / "transcripts-u1-x.csv"
    data = bytes(range(256)) * (2 * api.CHUNK // 256 + 100)
    path.write_bytes(data)
    chunks = api.opened_once(path)
    assert not path.exists()  # gone from disk before the first byte is sent
    got = list(chunks)
    assert [len(c) for c in got] == [api.CHUNK, api.CHUNK, len(data) - 2 * api.CHUNK]
    assert b"".join(got) == data


def test_the_api_export_streams_and_leaves_no_file(ctx, people):
    problem = load_starter()[0].model_dump(mode="json")
    with ctx.store.db.transaction():
        for n in range(150):
            s = ctx.store.start_session(people.s_user.id, problem, policy="tree", class_id=people.klass.id)
            ctx.store.add_turn(s.id, "student", f"answer {n} " + "x" * 4000)
    app = FastAPI()
    api.install(app, ctx)
    exports = Path(ctx.settings.data_dir) / "exports"
    with (
        TestClient(app) as client,
        client.stream(
            "GET",
            "/api/v1/teacher/export",
            params={"format": "csv"},
            headers={"Authorization": f"Bearer {people.teacher}"},
        ) as r,
    ):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "content-length" not in r.headers  # sent in pieces, not read whole first
        body = b"".join(r.iter_bytes())
        assert list(exports.iterdir()) == []  # the file was deleted once opened
    assert len(body) > 2 * api.CHUNK
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert len({r["session_id"] for r in rows}) == 150
