"""Chroma in client/server mode: a real `chroma run` server (the CLI chromadb ships) started by the test, two
KnowledgeStore clients on it as two app workers would be, and the app's settings selecting it by URL."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from errors import ConfigError
from knowledge.embeddings import HashEmbedder
from knowledge.store import KnowledgeStore
from settings import settings_from_env
from tests.test_knowledge_diagnosis import problem as jacket
from tests.test_knowledge_types import code_problem, math_problem
from ui.knowledge_link import KnowledgeLink
from ui.testing import free_port

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(CHROMA is None, reason="the `chroma` CLI (package chromadb) is not installed"),
]


@pytest.fixture
def chroma_url(tmp_path):
    port = free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text()
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "chroma run did not answer within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_two_clients_share_one_server(chroma_url, tmp_path):
    emb = HashEmbedder()
    a = KnowledgeStore(url=chroma_url, embedder=emb)
    b = KnowledgeStore(url=chroma_url, embedder=emb)
    assert a.upsert([math_problem(), code_problem(), jacket()]) == 3
    assert not (tmp_path / "chroma").exists()  # nothing embedded on local disk
    assert b.ids() == ["code-test-sum", "math-test-apples", "math-test-jacket"]
    assert b.get("math-test-jacket") == jacket()
    assert [p.id for p in b.search(jacket().statement, k=1)] == ["math-test-jacket"]
    assert {d.malgorithm_id for d in b.diagnose("math-test-jacket", "45 or 60 or 52")} >= {"adds"}
    # worker A edits a problem; worker B sees the edit at once (no stale per-process copy)
    p = jacket()
    p.malgorithms = p.malgorithms[:1]
    a.upsert([p])
    assert [m.id for m in b.get(p.id).malgorithms] == ["adds"]
    assert {d.malgorithm_id for d in b.diagnose(p.id, "45 or 60 or 52")} == {"adds"}


def test_app_settings_select_the_server(chroma_url, tmp_path):
    settings = settings_from_env({"TUTOR_CHROMA_URL": chroma_url, "TUTOR_DATA_DIR": str(tmp_path / "data")})
    assert settings.chroma_url == chroma_url
    link = KnowledgeLink(settings, embedder=HashEmbedder())
    link.start()
    assert link.wait(120) and not link.error, link.error
    assert link.store.url == chroma_url and link.store.count("problems") > 0  # the starter bank, seeded on the server
    assert not (tmp_path / "data" / "chroma").exists()
    other = KnowledgeStore(url=chroma_url, embedder=HashEmbedder())
    assert other.count("problems") == link.store.count("problems")


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(ConfigError, match="Chroma server"):
        KnowledgeStore(url=f"http://127.0.0.1:{free_port()}", embedder=HashEmbedder())
    with pytest.raises(ConfigError, match="http://host:port"):
        KnowledgeStore(url="ftp://x", embedder=HashEmbedder())
