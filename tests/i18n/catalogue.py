"""The German catalogue as the tests read it: its entries, and the English phrases of our own strings."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
DE_PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
# Not ours, or generated: never copied for makemessages.
NOT_SOURCE = (".venv", "node_modules", "staticfiles", "artifacts", ".git", "locale")
# What makemessages skips besides: not homeowner-facing (the benchmarks, the simulator of Podero, tests).
IGNORE = (*NOT_SOURCE, "bench", "simulator", "tests")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{[^}]*\}\}|\{[^}]*\}|<[^>]+>")


@cache
def german() -> polib.POFile:
    return polib.pofile(str(DE_PO))


def _fragments(text: str) -> list[str]:
    """The literal pieces of a msgid between its placeholders and tags, trimmed."""
    return [piece.strip(" .,:;·—–-()") for piece in _PLACEHOLDER.split(text)]


@cache
def english_phrases() -> tuple[str, ...]:
    """Phrases of three words or more from our msgids whose German differs: none may show on a German page."""
    phrases: set[str] = set()
    for entry in german():
        if entry.obsolete or not entry.msgstr or entry.msgstr == entry.msgid:
            continue
        german_text = entry.msgstr
        for piece in _fragments(entry.msgid):
            if len(piece.split()) >= 3 and piece not in german_text:
                phrases.add(piece)
    return tuple(sorted(phrases))
