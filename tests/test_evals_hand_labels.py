"""evals.hand_labels: the hand-labelled reference turns for replay (keys only), their loader and agreement."""

from __future__ import annotations

import json

import pytest

from errors import ValidationError
from evals.hand_labels import (
    DEFAULT_PATH,
    FIT_PATH,
    REASONS,
    RELABEL_FROM,
    RELABEL_PATH,
    HandLabel,
    agreement,
    check_against_data,
    load,
    main,
    read_relabel_keys,
    relabel_selection,
)
from tests.shared_data import DATA

GUIDE = DEFAULT_PATH.parent / "GUIDE.md"


def test_the_stored_labels_are_valid_text_free_and_enough():
    labels = load()
    assert len(labels) >= 200
    for line in DEFAULT_PATH.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) == {"dialogue_id", "turn", "label", "reason"}
    assert {x.label for x in labels} >= {"right", "partly", "wrong", "none"}


def test_every_reason_code_is_written_in_the_guide():
    guide = GUIDE.read_text(encoding="utf-8")
    for codes in REASONS.values():
        for code in codes:
            assert f"`{code}`" in guide, code


@pytest.mark.skipif(not (DATA / "mathdial" / "dev.jsonl").exists(), reason="../shared/data is not present")
def test_labels_name_real_student_turns_and_cover_the_deterministic_validate_sample():
    counts = check_against_data(load(), DATA)
    assert sum(counts["mathdial"].values()) >= 150 and sum(counts["sdb"].values()) >= 145


@pytest.mark.skipif(not (DATA / "mathdial" / "dev.jsonl").exists(), reason="../shared/data is not present")
def test_fit_labels_cover_the_deterministic_fit_sample_and_no_validate_turn():
    fit = load(FIT_PATH)
    for line in FIT_PATH.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) == {"dialogue_id", "turn", "label", "reason"}
    counts = check_against_data(fit, DATA, part="fit")
    assert sum(counts["mathdial"].values()) >= 160 and not counts["sdb"]
    assert not {x.key for x in fit} & {x.key for x in load()}
    with pytest.raises(ValidationError, match="do not cover the reference sample"):
        check_against_data(fit, DATA)


@pytest.mark.skipif(not (DATA / "mathdial" / "dev.jsonl").exists(), reason="../shared/data is not present")
def test_a_key_that_is_not_a_student_turn_is_refused():
    labels = load() + [HandLabel(dialogue_id="mathdial-5000773-0", turn=99, label="none", reason="question")]
    with pytest.raises(ValidationError, match="mathdial-5000773-0 turn 99 is not a student turn"):
        check_against_data(labels, DATA)


def test_relabel_keys_are_the_first_fifty_by_hash():
    keys = read_relabel_keys(RELABEL_PATH)
    assert len(keys) == 50 and keys == relabel_selection(load()[:RELABEL_FROM])


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", r"bad.jsonl:2: invalid JSON"),
        (
            '{"dialogue_id": "x-1", "turn": 1, "label": "right", "reason": "correct_final", "student": "I got 4"}',
            r"bad.jsonl:2: student: Extra inputs",
        ),
        (
            '{"dialogue_id": "x-1", "turn": 1, "label": "wrong", "reason": "correct_final"}',
            r"bad.jsonl:2: .*'correct_final' is not one of the 'wrong' reasons",
        ),
        ('{"dialogue_id": "x-1", "turn": 0, "label": "none", "reason": "question"}', r"bad.jsonl:2: turn"),
        ('{"dialogue_id": "x 1", "turn": 1, "label": "maybe", "reason": "question"}', r"bad.jsonl:2: "),
        (
            '{"dialogue_id": "x-0", "turn": 1, "label": "none", "reason": "thanks"}',
            r"bad.jsonl:2: x-0 turn 1 is already",
        ),
    ],
)
def test_a_malformed_label_file_names_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"dialogue_id": "x-0", "turn": 1, "label": "none", "reason": "question"}\n' + line + "\n")
    with pytest.raises(ValidationError, match=message):
        load(path)


def _labels(*pairs: tuple[int, str]) -> list[HandLabel]:
    reason = {"right": "correct_final", "wrong": "wrong_final", "none": "question", "partly": "mixed_claims"}
    return [HandLabel(dialogue_id="d-1", turn=t, label=lab, reason=reason[lab]) for t, lab in pairs]


def test_agreement_raw_and_cohens_kappa():
    a = _labels((1, "right"), (2, "right"), (3, "wrong"), (4, "none"), (5, "partly"))
    b = _labels((1, "right"), (2, "wrong"), (3, "wrong"), (4, "none"))
    res = agreement(a, b)
    # po = 3/4; pe = (2*1 + 1*2 + 1*1) / 16 = 5/16; kappa = (12/16 - 5/16) / (11/16) = 7/11
    assert res.n == 4 and res.agree == 3 and res.raw == pytest.approx(0.75)
    assert res.kappa == pytest.approx(7 / 11)
    assert res.only_in_a == 1 and res.only_in_b == 0
    assert res.confusion["right"] == {"right": 1, "wrong": 1}
    assert agreement(a, a).kappa == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="share no"):
        agreement(a, _labels())


def test_agree_command(tmp_path, capsys):
    pa, pb = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    pa.write_text("".join(x.model_dump_json() + "\n" for x in _labels((1, "right"), (2, "none"))))
    pb.write_text("".join(x.model_dump_json() + "\n" for x in _labels((1, "right"), (2, "right"))))
    assert main(["agree", str(pa), str(pb)]) == 0
    out = capsys.readouterr().out
    assert "agreement 0.500 (1/2)" in out and "Cohen's kappa 0.000" in out
    pb.write_text("oops\n")
    assert main(["agree", str(pa), str(pb)]) == 2
    assert "b.jsonl:1: invalid JSON" in capsys.readouterr().err


RELABEL_FILE = DEFAULT_PATH.parent / "replay_hand_relabel.jsonl"


@pytest.mark.skipif(not (DATA / "mathdial" / "dev.jsonl").exists(), reason="../shared/data is not present")
def test_the_stored_relabel_covers_exactly_the_relabel_keys_and_carries_no_text(capsys):
    for line in RELABEL_FILE.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) == {"dialogue_id", "turn", "label", "reason"}
    assert main(["check", str(RELABEL_FILE), "--relabel", "--data", str(DATA)]) == 0
    out = capsys.readouterr().out
    assert "mathdial" in out and "sdb" in out
    # without --relabel the subset is measured against the full reference sample, and refused
    assert main(["check", str(RELABEL_FILE), "--data", str(DATA)]) == 2
    assert "do not cover the reference sample" in capsys.readouterr().err


@pytest.mark.skipif(not (DATA / "mathdial" / "dev.jsonl").exists(), reason="../shared/data is not present")
def test_a_relabel_missing_a_key_or_with_an_extra_one_is_refused(tmp_path, capsys):
    labels = load(RELABEL_FILE)
    short = tmp_path / "short.jsonl"
    short.write_text("".join(x.model_dump_json() + "\n" for x in labels[1:]))
    assert main(["check", str(short), "--relabel", "--data", str(DATA)]) == 2
    assert "do not cover the re-label keys: 1 missing" in capsys.readouterr().err
    extra = [x for x in load() if x.key not in set(read_relabel_keys())][:1]
    with pytest.raises(ValidationError, match="0 missing .* 1 outside it"):
        check_against_data(labels + extra, DATA, read_relabel_keys())
