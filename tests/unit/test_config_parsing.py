"""config.business: the YAML business config and its human-readable errors."""

from __future__ import annotations

import traceback
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.business import Config, ConfigError, Level, load_config, parse_config
from domain.hours import Shift

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "leadkeeper.example.yaml"
SOURCE = "leadkeeper.yaml"


def problem(data: Any) -> str:
    """The one-line complaint about `data` (after the `... is invalid:` header)."""
    with pytest.raises(ConfigError) as caught:
        parse_config(data, SOURCE)
    message = str(caught.value)
    header, _, rest = message.partition("\n")
    assert header == f"{SOURCE} is invalid:"
    lines = rest.split("\n")
    assert all(line.startswith("  ") for line in lines)
    assert len(lines) == 1, message
    return lines[0].strip()


def manager(telegram_id: int, **extra: Any) -> dict[str, Any]:
    return {"telegram_id": telegram_id, "name": f"M{telegram_id}", **extra}


# --- the example file ----------------------------------------------------------------------


def test_example_file_loads() -> None:
    config = load_config(EXAMPLE)
    assert config.company.name == "Acme Windows"
    assert config.company.timezone == "Europe/Moscow"
    assert config.company.default_region == "RU"
    assert config.company.working_hours[0] == (Shift(time(9), time(19)),)
    assert config.company.working_hours[4] == (Shift(time(9), time(19)),)
    assert config.company.working_hours[5] == (Shift(time(10), time(16)),)
    assert config.company.working_hours[6] == ()
    assert config.telegram.allow_groups is False
    assert config.sla.first_response == timedelta(minutes=30)
    assert config.sla.first_response_reminder == timedelta(minutes=20)
    assert config.sla.accept_timeout == timedelta(minutes=5)
    assert config.sla.max_passes == 3
    assert config.sla.stage_limits == {
        "contacted": timedelta(days=1),
        "qualified": timedelta(days=3),
        "proposal": timedelta(days=5),
    }
    assert [head.telegram_id for head in config.team.heads] == [100000001]
    assert [(m.telegram_id, m.name, m.level, m.capacity) for m in config.team.managers] == [
        (100000002, "Иван", Level.SENIOR, 15),
        (100000003, "Мария", Level.JUNIOR, 25),
    ]
    maria = config.team.managers[1]
    assert maria.timezone == "Asia/Yekaterinburg"
    assert maria.working_hours is not None
    assert sorted(maria.working_hours) == [0, 1, 2, 3, 4, 5]
    assert config.loss_reasons == ["price", "competitor", "no_budget", "no_response", "spam"]
    assert config.texts["en"]["when_in_hours"] == "a manager will answer within {sla}"


def test_company_hours_object() -> None:
    hours = load_config(EXAMPLE).hours()
    assert hours.timezone == "Europe/Moscow"
    assert hours.days[6] == ()


@pytest.mark.parametrize("data", [None, {}])
def test_empty_config_gives_defaults(data: Any) -> None:
    config = parse_config(data)
    assert config == Config()
    assert config.company.timezone == "Europe/Moscow"
    assert sorted(config.company.working_hours) == [0, 1, 2, 3, 4]
    assert config.sla.first_response == timedelta(minutes=30)
    assert config.team.managers == []


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert load_config(path) == Config()


def test_config_is_frozen() -> None:
    config = parse_config({})
    with pytest.raises(Exception, match="frozen"):
        config.company.name = "Other"  # type: ignore[misc]


# --- working hours syntax ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ({"mon-fri": "09:00-18:00"}, {0, 1, 2, 3, 4}),
        ({"sat,sun": "10:00-14:00"}, {5, 6}),
        ({"fri-mon": "10:00-14:00"}, {4, 5, 6, 0}),  # ranges wrap over the weekend
        ({"Mon - Wed": "10:00-14:00"}, {0, 1, 2}),
        ({"mon-fri": "09:00-18:00", "wed": "off"}, {0, 1, 2, 3, 4}),
    ],
)
def test_working_hours_day_specs(week: dict[str, str], expected: set[int]) -> None:
    config = parse_config({"company": {"working_hours": week}})
    assert set(config.company.working_hours) == expected


@pytest.mark.parametrize("off", ["off", "OFF", "-", ""])
def test_working_hours_day_off_spellings(off: str) -> None:
    config = parse_config({"company": {"working_hours": {"sun": off}}})
    assert config.company.working_hours == {6: ()}


def test_working_hours_several_shifts_and_later_spec_wins() -> None:
    config = parse_config(
        {
            "company": {
                "working_hours": {"mon-fri": "09:00-18:00", "fri": ["10:00-13:00", "14:00-16:00"]}
            }
        }
    )
    hours = config.company.working_hours
    assert hours[0] == (Shift(time(9), time(18)),)
    assert hours[4] == (Shift(time(10), time(13)), Shift(time(14), time(16)))


def test_unquoted_off_in_yaml_is_a_day_off(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    path.write_text("company:\n  working_hours:\n    sun: off\n", encoding="utf-8")
    assert load_config(path).company.working_hours == {6: ()}


# --- error messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"team": {"managers": [manager(1), manager(2), manager(3, level="lead")]}},
            "team.managers[2].level: expected one of junior, middle, senior",
        ),
        (
            {"sla": {"first_response": "soon"}},
            "sla.first_response: expected a duration such as 45s, 30m, 2h or 3d, got 'soon'",
        ),
        (
            {"sla": {"accept_timeout": True}},
            "sla.accept_timeout: expected a duration such as 45s, 30m, 2h or 3d",
        ),
        (
            {"sla": {"first_response_reminder": -5}},
            "sla.first_response_reminder: a duration cannot be negative",
        ),
        (
            {"sla": {"stage_limits": {"contacted": "1 week"}}},
            "sla.stage_limits.contacted: expected a duration such as 45s, 30m, 2h or 3d, "
            "got '1 week'",
        ),
        (
            {"company": {"timezone": "Mars/Olympus"}},
            "company.timezone: unknown time zone 'Mars/Olympus', expected e.g. Europe/Moscow",
        ),
        (
            {"company": {"timezone": "MSK+3"}},
            "company.timezone: unknown time zone 'MSK+3', expected e.g. Europe/Moscow",
        ),
        (
            {"team": {"managers": [manager(1, timezone="Asia/Nowhere")]}},
            "team.managers[0].timezone: unknown time zone 'Asia/Nowhere', "
            "expected e.g. Europe/Moscow",
        ),
        (
            {"company": {"nmae": "Acme"}},
            "company.nmae: unknown key (check the spelling against leadkeeper.example.yaml)",
        ),
        (
            {"colour": "red"},
            "colour: unknown key (check the spelling against leadkeeper.example.yaml)",
        ),
        (
            {"team": {"managers": [manager(1, skills=["x"])]}},
            "team.managers[0].skills: unknown key (check the spelling against "
            "leadkeeper.example.yaml)",
        ),
        (
            {"team": {"managers": [{"name": "No Id"}]}},
            "team.managers[0].telegram_id: required key is missing",
        ),
        (
            {"team": {"managers": [manager(1, capacity=0)]}},
            "team.managers[0].capacity: input should be greater than or equal to 1",
        ),
        (
            {"team": {"heads": [manager(-5)]}},
            "team.heads[0].telegram_id: input should be greater than 0",
        ),
        (
            {"sla": {"max_passes": -1}},
            "sla.max_passes: input should be greater than or equal to 0",
        ),
        (
            {"company": {"working_hours": {"mnd-fri": "09:00-18:00"}}},
            "company.working_hours: unknown day range 'mnd-fri', expected e.g. mon-fri",
        ),
        (
            {"company": {"working_hours": {"funday": "09:00-18:00"}}},
            "company.working_hours: unknown day 'funday', expected one of "
            "mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"team": {"managers": [manager(1, working_hours={"monday": "09:00-18:00"})]}},
            "team.managers[0].working_hours: unknown day 'monday', expected one of "
            "mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"company": {"working_hours": {"mon": "9-18"}}},
            "company.working_hours: expected a shift like 09:00-18:00, got '9-18'",
        ),
        (
            {"company": {"working_hours": {"sun": 5}}},
            "company.working_hours: sun: expected a shift like 09:00-18:00 or a list of them",
        ),
        (
            {"company": {"working_hours": "always"}},
            "company.working_hours: expected a mapping of days to shifts, "
            'e.g. {mon-fri: "09:00-18:00"}',
        ),
        (
            {"texts": {"ru": {"greeting": "Привет"}}},
            "texts: ru.greeting: unknown text key",
        ),
        (
            {"texts": {"ru": {"when_in_hours": "ответим через {eta}"}}},
            "texts: ru.when_in_hours: unknown placeholder {eta}; allowed: sla",
        ),
        (
            {"texts": {"en": {"welcome": "Hi {name}, {age}"}}},
            "texts: en.welcome: unknown placeholder {age}; allowed: company, name, when",
        ),
        (
            {"texts": {"en": {"when_unknown": "soon, {name}"}}},
            "texts: en.when_unknown: unknown placeholder {name}; allowed: none",
        ),
        (
            {"texts": {"de": {"welcome": "Hallo"}}},
            "texts: unknown language 'de', expected one of ru, en",
        ),
    ],
)
def test_error_names_the_key_and_what_is_expected(data: dict[str, Any], expected: str) -> None:
    assert problem(data) == expected


def test_duplicate_telegram_ids_across_heads_and_managers() -> None:
    data = {"team": {"heads": [manager(7)], "managers": [manager(8), manager(7)]}}
    assert problem(data) == "team: managers[1].telegram_id 7 is listed twice"


def test_duplicate_telegram_ids_within_managers() -> None:
    data = {"team": {"managers": [manager(5), manager(5)]}}
    assert problem(data) == "team: managers[1].telegram_id 5 is listed twice"


def test_several_problems_are_one_per_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"colour": "red", "sla": {"first_response": "soon"}}, SOURCE)
    lines = str(caught.value).split("\n")
    assert lines[0] == f"{SOURCE} is invalid:"
    assert sorted(line.strip() for line in lines[1:]) == [
        "colour: unknown key (check the spelling against leadkeeper.example.yaml)",
        "sla.first_response: expected a duration such as 45s, 30m, 2h or 3d, got 'soon'",
    ]


@pytest.mark.parametrize("data", [[1, 2], "text", 42])
def test_top_level_must_be_a_mapping(data: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, SOURCE)
    assert str(caught.value) == f"{SOURCE}: expected a mapping at the top level"


def test_config_error_is_one_readable_block_without_a_traceback() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"team": {"managers": [manager(1, level="boss")]}}, SOURCE)
    error = caught.value
    assert error.__cause__ is None
    assert error.__suppress_context__ is True
    message = str(error)
    for noise in ("Traceback", "pydantic", "errors.pydantic.dev", "type=", "input_value"):
        assert noise not in message
    # What a CLI prints for `raise ... from None`: only the ConfigError itself.
    printed = "".join(traceback.format_exception_only(error))
    assert printed == f"config.business.ConfigError: {message}\n"
    chained = "".join(traceback.format_exception(error))
    assert "During handling of the above exception" not in chained
    assert "ValidationError" not in chained


def test_texts_override_with_positional_placeholder_is_rejected() -> None:
    assert "ru.when_in_hours" in problem({"texts": {"ru": {"when_in_hours": "через {}"}}})


def test_texts_override_with_a_broken_template_names_the_key() -> None:
    assert "ru.when_in_hours" in problem({"texts": {"ru": {"when_in_hours": "через {sla"}}})


@pytest.mark.parametrize("value", ["99999999999d", float("inf")])
def test_out_of_range_duration_is_a_config_error(value: Any) -> None:
    assert problem({"sla": {"first_response": value}}).startswith("sla.first_response: ")


# --- load_config: files --------------------------------------------------------------------


def test_load_config_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "lk.yaml"
    path.write_text(
        "company:\n  name: Окна\n  timezone: Asia/Yekaterinburg\n"
        "sla:\n  first_response: 2h\n"
        "team:\n  managers:\n    - {telegram_id: 10, name: Анна, level: senior}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.company.name == "Окна"
    assert config.company.timezone == "Asia/Yekaterinburg"
    assert config.sla.first_response == timedelta(hours=2)
    assert config.team.managers[0].level is Level.SENIOR


def test_load_config_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lk.yaml"
    path.write_text(
        "team:\n  managers:\n    - {telegram_id: 1, name: A, level: boss}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path} is invalid:\n  team.managers[0].level: expected one of junior, middle, senior"
    )


@pytest.mark.parametrize(
    ("text", "where", "problem_text"),
    [
        (
            "company:\n  name: x\n    bad: 1\n",
            "line 3, column 8",
            "mapping values are not allowed here",
        ),
        ("company: [\n", "line 2, column 1", "expected the node content, but found '<stream end>'"),
        (
            "sla:\n  first_response: 30m\n\tmax_passes: 3\n",
            "line 3, column 1",
            "found character '\\t' that cannot start any token",
        ),
    ],
)
def test_malformed_yaml_reports_the_line(
    tmp_path: Path, text: str, where: str, problem_text: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path} at {where}: {problem_text}"
    assert caught.value.__suppress_context__ is True
    assert "Traceback" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"config file {path} not found: copy leadkeeper.example.yaml to {path} "
        "or set LEADKEEPER_CONFIG"
    )
    assert caught.value.__suppress_context__ is True


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"config file {tmp_path} cannot be read: Is a directory"


def test_top_level_list_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: expected a mapping at the top level"
