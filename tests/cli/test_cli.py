"""The ``wirewatch`` command: help everywhere, one clear line for a bad setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.cli import build_parser, main

SUBCOMMANDS = [
    ["up"],
    ["broker"],
    ["ingest"],
    ["extract"],
    ["api"],
    ["tail"],
    ["feeds"],
    ["feeds", "import"],
    ["feeds", "export"],
    ["feeds", "check"],
    ["db"],
    ["db", "upgrade"],
]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=[" ".join(w) for w in SUBCOMMANDS])
def test_every_subcommand_has_help(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*words, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: wirewatch " + " ".join(words))


def test_claims_help_is_served_by_the_batch_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "claims", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "stdin" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WIREWATCH_API_PORT", "eighty"),
        ("WIREWATCH_TOPIC_PARTITIONS", "0"),
        ("WIREWATCH_KAFKA_BOOTSTRAP", "no port here"),
        ("WIREWATCH_DATABASE_URL", "mysql://db/wirewatch"),
        ("WIREWATCH_API_KEYS", "changeme"),
    ],
    ids=[
        "port-not-int",
        "zero-partitions",
        "bootstrap-without-port",
        "unsupported-db",
        "placeholder-key",
    ],
)
def test_an_invalid_setting_stops_start_up_with_one_line_naming_it(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["api", "--no-consume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert variable in err
    if variable == "WIREWATCH_API_KEYS":
        assert value not in err  # secrets never reach the terminal or logs


def test_a_service_without_a_broker_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WIREWATCH_KAFKA_BOOTSTRAP", raising=False)
    assert main(["extract"]) == 2
    assert "WIREWATCH_KAFKA_BOOTSTRAP" in capsys.readouterr().err


def test_feeds_import_export_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="World"><outline text="Wire A" type="rss" xmlUrl="https://a.example/rss"/>'
        '<outline text="Wire B" type="rss" xmlUrl="https://b.example/atom"/></outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    out = tmp_path / "feeds.yaml"
    assert main(["feeds", "import", str(opml), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["feeds", "export", "--feeds", str(out)]) == 0
    exported = capsys.readouterr().out
    assert 'xmlUrl="https://a.example/rss"' in exported
    assert 'xmlUrl="https://b.example/atom"' in exported


def test_a_missing_feeds_file_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "check", "--feeds", "/nonexistent/feeds.yaml"]) == 2
    assert "feeds.yaml" in capsys.readouterr().err
