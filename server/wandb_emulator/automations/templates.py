"""Webhook payload templates: `${variable}` placeholders in the JSON payload's strings.

A string that is exactly one placeholder becomes the variable's JSON value (an object
for `${artifact_version}`, a number for a numeric metadata value); placeholders inside
longer strings are replaced by the value's text. Unknown variables stay as written, as
W&B leaves them, and the result is always valid JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..journal import MASK

PLACEHOLDER = re.compile(r"\$\{([^${}]+)\}")


def _lookup(variables: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """The variable's value; dotted names (`run_config.lr`) reach into objects."""
    if name in variables:
        return True, variables[name]
    head, dot, rest = name.partition(".")
    if dot and isinstance(variables.get(head), Mapping):
        return _lookup(variables[head], rest)
    return False, None


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _render_string(text: str, variables: Mapping[str, Any]) -> Any:
    whole = PLACEHOLDER.fullmatch(text)
    if whole:
        found, value = _lookup(variables, whole.group(1).strip())
        return value if found else text

    def substitute(match: re.Match[str]) -> str:
        found, value = _lookup(variables, match.group(1).strip())
        return _as_text(value) if found else match.group(0)

    return PLACEHOLDER.sub(substitute, text)


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return _render_string(value, variables)
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    if isinstance(value, dict):
        return {
            _as_text(render_value(key, variables)): render_value(item, variables)
            for key, item in value.items()
        }
    return value


def render(template: str, variables: Mapping[str, Any]) -> str:
    """The payload to send: the template (JSON text) with its variables filled in."""
    return json.dumps(render_value(json.loads(template), variables))


def masked(variables: Mapping[str, Any], secret_names: list[str]) -> dict[str, Any]:
    """The variables with every secret's value replaced by a mask (for the delivery log)."""
    return {**variables, **{name: MASK for name in secret_names if name in variables}}


def scrub(text: str, secret_values: list[str]) -> str:
    """Remove secret values wherever they ended up (error messages, echoed bodies)."""
    for value in secret_values:
        if value:
            text = text.replace(value, MASK)
    return text
