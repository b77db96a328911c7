"""List settings read from the environment as users write them, in every service's class."""

from __future__ import annotations

import json
from typing import Any, get_args, get_origin

import pytest

from services.api.settings import ApiSettings
from services.config import CommonSettings, SettingsError, load_settings, parse_list
from services.extract.settings import ExtractSettings
from services.ingest.settings import IngestSettings
from services.up import UpSettings

SETTINGS = (CommonSettings, ApiSettings, ExtractSettings, IngestSettings, UpSettings)
KEYS = ["k1-0123456789abcdef", "k2-0123456789abcdef"]
HOOK = {"url": "https://hooks.example.org/in", "secret": "whsec_" + "A" * 32}

# One valid list per list setting: a new list setting must be added here.
EXAMPLES: dict[str, list[Any]] = {
    "api_keys": KEYS,
    "webhooks": [HOOK],
    "webhook_retry_schedule": [0.5, 2.0],
}


def _list_fields() -> list[tuple[type[CommonSettings], str, Any]]:
    found = []
    for cls in SETTINGS:
        for name, field in cls.model_fields.items():
            if get_origin(field.annotation) is list:
                found.append((cls, name, get_args(field.annotation)[0]))
    return found


LIST_FIELDS = _list_fields()


def test_the_list_settings_are_found() -> None:
    assert {name for _, name, _ in LIST_FIELDS} == set(EXAMPLES)


FORMS = [
    pytest.param(cls, name, item, form, id=f"{cls.__name__}.{name}-{form}")
    for cls, name, item in LIST_FIELDS
    for form in ("csv", "csv-spaced", "json", "empty", "blank")
    # A list of objects is JSON only.
    if item in (str, int, float) or not form.startswith("csv")
]


@pytest.mark.parametrize(("cls", "name", "item", "form"), FORMS)
def test_a_list_setting_reads_every_documented_form(
    monkeypatch: pytest.MonkeyPatch, cls: type[CommonSettings], name: str, item: Any, form: str
) -> None:
    """Comma-separated (lists of scalars), a JSON list, or empty/blank = none."""
    example = EXAMPLES[name]
    scalar = item in (str, int, float)
    text = {
        "csv": ",".join(str(v) for v in example),
        "csv-spaced": " , ".join(str(v) for v in example) + ",",
        "json": json.dumps(example),
        "empty": "",
        "blank": "  ",
    }[form]
    monkeypatch.setenv(f"WIREWATCH_{name.upper()}", text)
    value = getattr(load_settings(cls), name)
    if form in ("empty", "blank"):
        assert value == []
    elif scalar:
        assert value == example
    else:
        assert [v.url for v in value] == [example[0]["url"]]


@pytest.mark.parametrize(
    ("variable", "text", "says"),
    [
        ("WIREWATCH_API_KEYS", '["k1-0123456789abcdef",', "is not a valid JSON list"),
        ("WIREWATCH_API_KEYS", "short", "shorter than 16 characters"),
        ("WIREWATCH_API_KEYS", "[1]", "[0]: Input should be a valid string"),
        ("WIREWATCH_WEBHOOKS", "https://hooks.example.org/in", "expected a JSON list"),
        ("WIREWATCH_WEBHOOKS", '[{"url": "https://h.example"}]', "[0].secret: Field required"),
        ("WIREWATCH_WEBHOOK_RETRY_SCHEDULE", "5,x", "[1]: Input should be a valid number"),
        ("WIREWATCH_WEBHOOK_RETRY_SCHEDULE", "5,-1", "finite, non-negative"),
    ],
)
def test_a_bad_list_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, text: str, says: str
) -> None:
    monkeypatch.setenv(variable, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(ApiSettings)
    message = str(caught.value)
    assert message.startswith(f"invalid setting {variable}: ")
    assert says in message
    assert "\n" not in message


def test_lists_given_to_the_constructor_are_left_alone() -> None:
    assert ApiSettings(api_keys=KEYS).api_keys == KEYS
    assert parse_list(KEYS) is KEYS


@pytest.mark.parametrize(
    ("cls", "variable", "text", "other"),
    [
        (ApiSettings, "WIREWATCH_WEBHOOK_LEASE_S", "5", "WIREWATCH_WEBHOOK_TIMEOUT_S"),
        (IngestSettings, "WIREWATCH_MAX_POLL_INTERVAL_S", "5", "WIREWATCH_MIN_POLL_INTERVAL_S"),
    ],
)
def test_settings_checked_against_each_other_name_both(
    monkeypatch: pytest.MonkeyPatch,
    cls: type[CommonSettings],
    variable: str,
    text: str,
    other: str,
) -> None:
    monkeypatch.setenv(variable, text)
    with pytest.raises(SettingsError, match=rf"^invalid setting {variable}: .*{other}"):
        load_settings(cls)


@pytest.mark.parametrize(
    ("cls", "variable"),
    [
        (CommonSettings, "WIREWATCH_KAFKA_BOOTSTRAP"),
        (CommonSettings, "WIREWATCH_KAFKA_MEMBER_NAME"),
        (IngestSettings, "WIREWATCH_FEEDS_FILE"),
        (ApiSettings, "WIREWATCH_DATABASE_URL"),
    ],
)
def test_an_empty_optional_setting_is_unset(
    monkeypatch: pytest.MonkeyPatch, cls: type[CommonSettings], variable: str
) -> None:
    """`VAR=` (as compose writes `${VAR:-}`) is the default, not an empty path or name."""
    monkeypatch.setenv(variable, "")
    assert getattr(load_settings(cls), variable.removeprefix("WIREWATCH_").lower()) is None


def test_an_empty_required_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_API_PORT", "")
    with pytest.raises(SettingsError, match=r"^invalid setting WIREWATCH_API_PORT: "):
        load_settings(ApiSettings)


@pytest.mark.parametrize("url", ["ftp://h.example/in", "https:///in", "not a url"])
def test_a_static_webhook_needs_an_http_url_with_a_host(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Checked with the settings, so a bad entry is the one-line error, not a crash later."""
    monkeypatch.setenv("WIREWATCH_WEBHOOKS", json.dumps([{**HOOK, "url": url}]))
    with pytest.raises(SettingsError, match=r"^invalid setting WIREWATCH_WEBHOOKS: \[0\]\.url: "):
        load_settings(ApiSettings)
