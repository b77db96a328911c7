"""`wirewatch claims` (services.extract.batch): JSON lines in, one result line per input line
out, in order; bad lines are reported on stderr by number and answered with an error object."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from services.extract import batch
from services.extract.claims import normalise_input


def test_order_and_bad_lines_are_kept() -> None:
    """Every non-empty input line gets an output line, in input order, errors included."""
    lines = [
        json.dumps({"id": "a", "title": "", "text": "Tanks rolled into the town."}),
        "{not json",
        json.dumps({"id": "b", "title": "Weather", "text": "Rain is expected on Sunday."}),
        json.dumps({"id": "c", "title": 5, "text": "x"}),
    ]
    out, err = io.StringIO(), io.StringIO()
    failures = batch.run(io.StringIO("\n".join(lines) + "\n"), out, err, batch_size=2)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, "b", "c"]
    assert rows[0]["claims"][0]["movement"] == "advance"
    assert "error" in rows[1]
    assert "error" in rows[3]
    assert rows[2]["claims"] == []
    assert failures == 2
    assert "line 2" in err.getvalue()
    assert "line 4" in err.getvalue()


def test_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    """--help prints usage and exits 0."""
    with pytest.raises(SystemExit) as exc:
        batch.main(["--help"])
    assert exc.value.code == 0
    assert "wirewatch claims" in capsys.readouterr().out


def test_module_runs_the_documented_example() -> None:
    """`python -m services.extract.batch` turns the documented line into one buildup claim."""
    line = json.dumps(
        {
            "id": "x",
            "title": "",
            "text": "NATO said Russia has amassed 20,000 troops on Ukraine's border.",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "services.extract.batch"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (row,) = [json.loads(x) for x in proc.stdout.splitlines()]
    (claim,) = row["claims"]
    assert (
        claim["movement"],
        claim["actor"],
        claim["claimant"],
        claim["location"],
        claim["size"],
    ) == ("buildup", "Russia", "NATO", "Ukraine's border", "20,000 troops")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Israel #39;s pullout", "Israel's pullout"),
        ("called it a plan quot; on Monday", 'called it a plan" on Monday'),
        ("AT amp;T", "AT&T"),
        ("the outskirts\\of the camp", "the outskirts of the camp"),
        ("&lt;b&gt;...&lt;/b&gt;", "..."),
        ("plain  text", "plain text"),
    ],
    ids=["apostrophe", "quote", "ampersand", "backslash", "tags", "spaces"],
)
def test_normalise_input(raw: str, clean: str) -> None:
    """Archived-corpus entity mangling is undone and whitespace collapsed."""
    assert normalise_input(raw) == clean
