"""Bank files are validated on load: a good file loads; every error names the file, the record and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from errors import ValidationError
from knowledge import bank

# ---------------------------------------------------------------- validation errors name file, record, field


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD_MATH = """
- id: math-tiny
  title: Tiny
  statement: What is 2 + 3?
  steps:
    - {description: add, expression: "2 + 3", value: 5}
  answer: 5
  answer_unit: ""
  malgorithms:
    - {id: a, label: subtracts, step: 0, step_values: {0: -1}, step_expressions: {0: "2 - 3"}, wrong_answer: -1}
    - {id: b, label: multiplies, step: 0, step_values: {0: 6}, step_expressions: {0: "2 * 3"}, wrong_answer: 6}
"""


def test_a_small_good_file_loads(tmp_path):
    (p,) = bank.load_bank_file(write(tmp_path, GOOD_MATH))
    assert p.domain == "math" and p.malgorithms[0].id == "math-tiny-a" and p.malgorithms[1].problem_id == "math-tiny"


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('expression: "2 + 3", value: 5', 'expression: "2 + 4", value: 5', "steps[0].value", "evaluates to 6"),
        ('expression: "2 + 3"', "expression: \"__import__('os')\"", "steps[0].expression", "not plain arithmetic"),
        ("answer: 5", "answer: 7", "answer", "last step"),
        ("wrong_answer: 6", "wrong_answer: -1", "malgorithms[1].wrong_answer", "not the value at the last step 0"),
        ("{0: 6}, step_expressions", "{0: -1}, step_expressions", "malgorithms[1].step_values[0]", "evaluates to 6"),
        (
            '{0: 6}, step_expressions: {0: "2 * 3"}, wrong_answer: 6',
            '{0: 5}, step_expressions: {0: "5"}, wrong_answer: 5',
            "malgorithms[1].step_values",
            "right value",
        ),
        ("  title: Tiny\n", "", "title", "Field required"),
        ("{description: add,", "{description: add 2 + 3 = 5,", "steps[0].description", "without its value"),
        ("step: 0, step_values: {0: -1}", "step: 3, step_values: {0: -1}", "malgorithms[0].step", "out of range"),
    ],
)
def test_errors_name_file_record_and_field(tmp_path, old, new, field, words):
    assert old in GOOD_MATH
    path = write(tmp_path, GOOD_MATH.replace(old, new, 1))
    with pytest.raises(ValidationError) as info:
        bank.load_bank_file(path)
    msg = info.value.user_message
    assert msg.startswith("bad.yaml: record 0 (math-tiny)"), msg
    assert words in msg, msg
    if field in ("title",):
        assert "field title" in msg, msg
    elif field.startswith("malgorithms[0].step") and words == "out of range":
        assert "malgorithm math-tiny-a" in msg, msg
    else:
        assert f"field {field}" in msg, msg


TWO_STEPS = """
- id: math-two
  title: Two steps
  statement: Add 2 and 3, then double it.
  steps:
    - {description: the sum, expression: "2 + 3", value: 5}
    - {description: the double, expression: "(2 + 3) * 2", value: 10}
  answer: 10
  malgorithms:
    - {id: a, label: adds, step: 1, step_values: {1: 7}, step_expressions: {1: "2 + 3 + 2"}, wrong_answer: 7}
    - {id: b, label: halves, step: 1, step_values: {1: 2.5}, step_expressions: {1: "(2 + 3) / 2"}, wrong_answer: 2.5}
"""


def test_wrong_answer_must_not_look_like_a_right_step_value(tmp_path):
    assert bank.load_bank_file(write(tmp_path, TWO_STEPS))[0].answer == 10
    clash = TWO_STEPS.replace(
        '{1: 7}, step_expressions: {1: "2 + 3 + 2"}, wrong_answer: 7',
        '{1: 5}, step_expressions: {1: "3 + 2"}, wrong_answer: 5',
    )
    with pytest.raises(
        ValidationError,
        match=r"record 0 \(math-two\), field malgorithms\[0\]\.wrong_answer: equals the right value of step 0",
    ):
        bank.load_bank_file(write(tmp_path, clash))
    no_last = TWO_STEPS.replace("step: 1, step_values: {1: 2.5}", "step: 0, step_values: {0: 2.5}").replace(
        '{1: "(2 + 3) / 2"}', '{0: "(2 + 3) / 2"}'
    )
    with pytest.raises(ValidationError, match=r"field malgorithms\[1\]\.step_values: no value for the last step 1"):
        bank.load_bank_file(write(tmp_path, no_last))


def test_duplicate_wrong_answers_are_rejected(tmp_path):
    text = GOOD_MATH.replace(
        '{0: 6}, step_expressions: {0: "2 * 3"}, wrong_answer: 6',
        '{0: -1}, step_expressions: {0: "3 - 4"}, wrong_answer: -1',
    )
    with pytest.raises(ValidationError, match=r"malgorithms\[1\]\.wrong_answer.*same as malgorithm math-tiny-a"):
        bank.load_bank_file(write(tmp_path, text))


def test_bad_yaml_and_bad_shapes_are_reported(tmp_path):
    with pytest.raises(ValidationError, match=r"bad\.yaml: invalid YAML at line \d+"):
        bank.load_bank_file(write(tmp_path, "- id: math-x\n  title: [unclosed\n"))
    with pytest.raises(ValidationError, match="expected a list"):
        bank.load_bank_file(write(tmp_path, "id: math-x\n"))
    with pytest.raises(ValidationError, match=r"record 0 \(thing-1\), field id: .*'math-' or 'code-'"):
        bank.load_bank_file(write(tmp_path, "- id: thing-1\n"))


GOOD_CODE = """
- id: code-tiny
  title: Tiny
  statement: double(x) returns 2 * x.
  entry_point: double
  buggy_code: |
    def double(x):
        return x + 2
  unit_tests: ["assert double(3) == 6"]
  bugs:
    - lines: [2]
      description: adds instead of multiplying
      fixes:
        - description: multiply
          lines: ["return 2 * x"]
          code: |
            def double(x):
                return 2 * x
  malgorithms:
    - {id: m, label: squares, bug: 0, wrong_code: "def double(x):\\n    return x * x\\n"}
"""


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('lines: ["return 2 * x"]', 'lines: ["return x * 2"]', "field bugs[0].fixes[0].lines"),
        ("lines: [2]", "lines: [9]", "field bugs[0].lines: line 9 is outside 1..2"),
        ("entry_point: double", "entry_point: triple", "field entry_point"),
        ("bug: 0, wrong_code", "wrong_code", "field malgorithms[0].bug"),
    ],
)
def test_code_errors_name_the_field(tmp_path, old, new, words):
    assert bank.load_bank_file(write(tmp_path, GOOD_CODE))[0].malgorithms[0].id == "code-tiny-m"
    assert old in GOOD_CODE
    with pytest.raises(ValidationError) as info:
        bank.load_bank_file(write(tmp_path, GOOD_CODE.replace(old, new, 1)))
    assert info.value.user_message.startswith("bad.yaml: record 0 (code-tiny)")
    assert words in info.value.user_message, info.value.user_message


def test_evaluate_expression_matches_python_and_refuses_code():
    for expr in ["1/2 + 3/8", "(80 - 20) * 0.9", "7 // 2 + 7 % 2", "-3 ** 2", "round(2.675 * 100) / 100", "2 ** -1"]:
        assert bank.evaluate_expression(expr) == eval(expr)
    for expr in ["x + 1", "open('f')", "[1][0]", "1 if 1 else 2", "'a' * 3", "(1).real", "1/0"]:
        with pytest.raises(ValueError):
            bank.evaluate_expression(expr)


def test_ids_must_be_unique_across_files(tmp_path):
    (tmp_path / "math_a.yaml").write_text(textwrap.dedent(GOOD_MATH), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a bank file", encoding="utf-8")
    assert [p.id for p in bank.load_bank_dir(tmp_path)] == ["math-tiny"]
    (tmp_path / "math_b.yaml").write_text(textwrap.dedent(GOOD_MATH), encoding="utf-8")
    with pytest.raises(
        ValidationError,
        match=r"math_b\.yaml: record 0 \(math-tiny\), field id: duplicate id, already used in math_a\.yaml",
    ):
        bank.load_bank_dir(tmp_path)
