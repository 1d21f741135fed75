"""Template hygiene: a `{# … #}` comment must close on its own line, or Django prints it to the page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_single_line_comment_spans_lines():
    broken = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_file() and path.suffix in (".html", ".txt", ".js"):
            for match in re.finditer(r"\{#(?:(?!#\}).)*?\n", path.read_text()):
                line = path.read_text()[: match.start()].count("\n") + 1
                broken.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0).strip()[:60]}")
    assert broken == [], "use {% comment %} for comments over several lines:\n" + "\n".join(broken)
