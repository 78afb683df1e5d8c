"""The app's link to the Chroma knowledge store: seeded at startup, kept in step with teachers' edits, searched by
students. Model-free (HashEmbedder) except where stated; the real MiniLM runs in test_app_offline's server."""

from __future__ import annotations

import json
import os
import time

import pytest
from playwright import sync_api

from knowledge.bank import load_starter
from ui import accounts, authoring, student
from ui.choices import problem_choices
from ui.context import AppContext
from ui.testing import CHROMIUM, CHROMIUM_ARGS, app_context, browser_login, running_server, seed_accounts

ZEBRA = {
    "id": "t-zebra",
    "domain": "math",
    "title": "Zebras at the watering hole",
    "statement": "A herd of 12 zebras splits into 3 equal groups at the watering hole. How many zebras per group?",
    "steps": [{"description": "split the herd", "expression": "12 / 3", "value": 4}],
    "answer": 4,
    "skills": ["division"],
}


def started(c: AppContext) -> AppContext:
    c.start_knowledge()
    assert c.knowledge.wait(120), "knowledge store did not open in time"
    assert c.knowledge.error == "", c.knowledge.error
    return c


def test_startup_seeds_the_starter_bank_once(tmp_path, caplog):
    starter = load_starter()
    c = app_context(tmp_path / "data")
    with caplog.at_level("INFO", logger="ui.knowledge_link"):
        started(c)
    assert (tmp_path / "data" / "chroma").is_dir()
    assert c.knowledge.seeded == len(starter)
    assert c.knowledge.store.ids() == sorted(p.id for p in starter)
    assert c.knowledge.store.get(starter[0].id).statement == starter[0].statement
    assert f"{len(starter)} problems ({len(starter)} seeded" in caplog.text
    c.store.close()
    again = started(app_context(tmp_path / "data"))  # second run: reopened, not re-seeded
    assert again.knowledge.seeded == 0 and again.knowledge.store.count() == len(starter)
    again.store.close()


def test_problems_already_in_the_database_are_synced_at_startup(tmp_path):
    c = app_context(tmp_path / "data")
    tok, _ = accounts.create_first_teacher(c, "teach", "teachpass1")
    src = tmp_path / "zebra.json"
    src.write_text(json.dumps([ZEBRA]))
    authoring.import_problems(c, tok, str(src))  # before the store opens: queued
    assert c.knowledge.store is None
    started(c)
    assert c.knowledge.store.get("t-zebra").title == ZEBRA["title"]
    c.store.close()
    fresh = tmp_path / "fresh"  # a SQL store with the problem, an empty Chroma dir: synced at startup
    c2 = app_context(fresh, database_url=f"sqlite:///{tmp_path / 'data' / 'tutor.db'}")
    started(c2)
    assert "t-zebra" in c2.knowledge.store.ids()
    assert c2.knowledge.store.count() == len(load_starter()) + 1
    c2.store.close()


def test_imported_and_added_problems_become_searchable(ctx, people):
    started(ctx)
    tok, s_tok = people.teacher, people.student
    found, how = student.search(ctx, s_tok, "zebras watering hole")
    assert how == "meaning" and "t-zebra" not in [p.id for p in found]
    src = ctx.settings.data_dir / "zebra.json"
    src.write_text(json.dumps([ZEBRA]))
    authoring.import_problems(ctx, tok, str(src))
    found, how = student.search(ctx, s_tok, "zebras watering hole")
    assert how == "meaning" and found[0].id == "t-zebra"
    assert problem_choices(ctx, s_tok, query="zebras watering hole")[0][1] == "t-zebra"
    assert (
        problem_choices(ctx, s_tok, domain="code", query="zebras watering hole")[0][1] != "t-zebra"
    )  # filters still apply

    p = authoring.add_math_problem(
        ctx,
        tok,
        title="Kayak rental",
        statement="A kayak rents for $9 an hour. Cost for 4 hours?",
        steps="Multiply | 9 * 4 | 36",
        answer="36",
        skills="money",
    )
    assert student.search(ctx, s_tok, "kayak rental for hours")[0][0].id == p.id
    data = json.loads(authoring.tree_text(ctx, tok, p.id))
    data["nodes"][0]["concept"] = "Hourly rate times hours"
    authoring.save_tree(ctx, tok, p.id, json.dumps(data))
    assert ctx.knowledge.store.get(p.id).tree.nodes[0].concept == "Hourly rate times hours"
    assert set(ctx.knowledge.store.ids()) >= {p.id for p in ctx.problems()}  # the two stores agree


def test_search_falls_back_to_substring_when_the_store_is_unavailable(tmp_path, people, ctx):
    s_tok = people.student
    found, how = student.search(ctx, s_tok, "PIZZA")  # not started yet: substring matching
    assert how == "text" and found and all("pizza" in (p.title + p.statement).lower() for p in found)
    assert student.search(ctx, s_tok, "")[0] == student.catalogue(ctx, s_tok)

    data = tmp_path / "broken"
    data.mkdir()
    (data / "chroma").write_text("not a directory")  # the store cannot open here
    c = app_context(data)
    c.start_knowledge()
    assert c.knowledge.wait(60) and c.knowledge.store is None and c.knowledge.error
    t_tok, _ = accounts.create_first_teacher(c, "teach2", "teachpass1")
    src = tmp_path / "zebra.json"
    src.write_text(json.dumps([ZEBRA]))
    assert authoring.import_problems(c, t_tok, str(src))[0] == ["t-zebra"]  # the import still works
    found, how = student.search(c, t_tok, "zebras")
    assert how == "text" and [p.id for p in found] == ["t-zebra"]
    assert student.search(c, t_tok, "no such words anywhere")[0] == []
    c.store.close()


def test_search_survives_a_failing_store(ctx, people):
    started(ctx)

    class Broken:
        def search(self, *a, **k):
            raise RuntimeError("disk gone")

        def upsert(self, *a, **k):
            raise RuntimeError("disk gone")

    ctx.knowledge.store = Broken()
    found, how = student.search(ctx, people.student, "pizza")
    assert how == "text" and found
    assert ctx.knowledge.upsert(load_starter()[:1]) == 0  # logged, not raised


@pytest.mark.browser
@pytest.mark.slow
def test_student_search_box_in_the_browser_ranks_by_meaning(tmp_path):
    """The real app (real MiniLM, seeded in the background): typing a paraphrase picks the matching problem."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing")
    data = tmp_path / "app"
    seed_accounts(data, teachers=[("teach", "teachpass1")], students=[("alice", "alicepass1")], class_name="P1")
    with running_server(data) as server, sync_api.sync_playwright() as p:
        deadline = time.monotonic() + 300
        while "knowledge store at" not in server.log() and time.monotonic() < deadline:
            time.sleep(1)
        assert "knowledge store at" in server.log(), server.log()[-2000:]
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        browser_login(page, server.url, "alice", "alicepass1")
        box = page.locator("#problem-search textarea, #problem-search input").first
        box.fill("how many slices of the pie were eaten")
        box.press("Enter")
        page.wait_for_function("document.querySelector('#problem-pick input').value.toLowerCase().includes('pizza')")
        page.click("#start-btn")
        page.wait_for_function("document.querySelector('#chat').innerText.toLowerCase().includes('pizza')")
        browser.close()
