"""domain/gates.py and the `stages:` section: what a move lacks, the stages a move crosses,
the fields a lead has, and the YAML's errors named by key."""

from __future__ import annotations

import pytest

from config.business import ConfigError, parse_config
from domain.gates import (
    Missing,
    Playbook,
    Question,
    RequiredField,
    clean_answer,
    crossed,
    filled_fields,
    missing,
    next_gate,
)

VOLUME, ROUTE = Question("volume", "Какой объём?"), Question("route", "Откуда и куда?")
BOOKS = {
    "qualified": Playbook("qualified", checklist=(VOLUME, ROUTE), required=(RequiredField.PHONE,)),
    "proposal": Playbook("proposal", required=(RequiredField.AMOUNT, RequiredField.PHONE)),
}


def test_a_move_forward_crosses_every_stage_between_and_back_crosses_none() -> None:
    assert crossed("new", "proposal") == ("contacted", "qualified", "proposal")
    assert crossed("contacted", "qualified") == ("qualified",)
    assert crossed("proposal", "contacted") == ()
    assert crossed("qualified", "qualified") == ()


def test_missing_names_unanswered_questions_and_empty_fields_once_in_gate_order() -> None:
    lacking = missing(BOOKS, "contacted", "proposal", {"route"}, set())
    assert lacking.questions == (VOLUME,)
    assert lacking.fields == (RequiredField.PHONE, RequiredField.AMOUNT)
    assert lacking.keys() == ["volume", "phone", "amount"]
    assert not missing(BOOKS, "contacted", "qualified", {"volume", "route"}, {RequiredField.PHONE})
    # Moving back is always open; a stage without a playbook has an open gate.
    assert not missing(BOOKS, "proposal", "contacted", set(), set())
    assert not missing(BOOKS, "new", "contacted", set(), set())
    assert not Missing()


def test_filled_fields_and_answers() -> None:
    assert filled_fields(amount=0, phone=" ", email=None, name="Анна") == {RequiredField.NAME}
    assert filled_fields(amount=100, phone="+7916", email="a@b.ru", name=None) == {
        RequiredField.AMOUNT,
        RequiredField.PHONE,
        RequiredField.EMAIL,
    }
    assert clean_answer("  Москва —\n  Казань ") == "Москва — Казань"
    assert len(clean_answer("я" * 900)) == 500


def test_next_gate_is_the_following_stage_with_a_gate() -> None:
    assert next_gate(BOOKS, "contacted") == BOOKS["qualified"]
    assert next_gate(BOOKS, "new") is None  # contacted has no gate
    assert next_gate(BOOKS, "proposal") is None


def test_stages_yaml_is_read_into_playbooks() -> None:
    config = parse_config(
        {
            "stages": {
                "contacted": {"script": "  Здравствуйте!  "},
                "qualified": {
                    "checklist": [{"key": "volume", "question": "Объём?", "choices": ["1 т"]}],
                    "required": ["phone", "phone"],
                },
            }
        }
    )
    books = config.stages.playbooks()
    assert books["contacted"].script == "Здравствуйте!"
    assert books["qualified"].checklist == (Question("volume", "Объём?", ("1 т",)),)
    assert books["qualified"].required == (RequiredField.PHONE,)
    assert parse_config({}).stages.playbooks() == {}


@pytest.mark.parametrize(
    ("stages", "problem"),
    [
        ({"won": {"script": "x"}}, "stages.won: unknown key"),
        ({"new": {"required": ["phone"]}}, "new: a lead enters this stage by being created"),
        (
            {"qualified": {"required": ["passport"]}},
            "stages.qualified.required[0]: expected one of",
        ),
        (
            {"qualified": {"checklist": [{"key": "Объём", "question": "?"}]}},
            "stages.qualified.checklist[0].key",
        ),
        (
            {
                "qualified": {"checklist": [{"key": "a", "question": "?"}]},
                "proposal": {"checklist": [{"key": "a", "question": "?"}]},
            },
            "the key 'a' is used twice",
        ),
    ],
)
def test_stages_yaml_errors_name_the_key(stages: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"stages": stages})
    assert problem in str(error.value)
