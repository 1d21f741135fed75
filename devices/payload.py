"""What every upstream JSON payload passes through before anything reads it (stdlib only).

Podero's answers are data from outside: a lone UTF-16 surrogate ("\\ud800") in any string cannot be
encoded as UTF-8 and would crash the page, the partial and the admin that render it; JSON nested
thousands deep crashes whatever walks it. `clean` replaces lone surrogates (in keys and values) with
U+FFFD and refuses nesting deeper than MAX_DEPTH, without recursion of its own.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # Podero's deepest documented payload is about 5 levels


class PayloadError(ValueError):
    """Not JSON, not decodable, or nested too deep."""


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    return value


def clean(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of `value` that is safe to render: strings made encodable, depth bounded."""
    if isinstance(value, str):
        return _text(value)
    if not isinstance(value, dict | list):
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]  # (source, parent, key in parent, depth)
    while stack:
        source, parent, slot, depth = stack.pop()
        if depth > max_depth:
            raise PayloadError(f"nested deeper than {max_depth}")
        if isinstance(source, dict):
            target: Any = {}
            for key, item in source.items():
                k = _text(key) if isinstance(key, str) else key
                if isinstance(item, dict | list):
                    target[k] = None
                    stack.append((item, target, k, depth + 1))
                else:
                    target[k] = _text(item) if isinstance(item, str) else item
        else:
            target = [None] * len(source)
            for i, item in enumerate(source):
                if isinstance(item, dict | list):
                    stack.append((item, target, i, depth + 1))
                else:
                    target[i] = _text(item) if isinstance(item, str) else item
        parent[slot] = target
    return root[0]


def loads(body: bytes) -> Any:
    """Parse an upstream body: PayloadError for anything that is not usable JSON."""
    try:
        text = body.decode("utf-8")
        return clean(json.loads(text))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(type(exc).__name__) from exc
