"""Checking the shape of a seed document before applying it, for clear 4xx errors."""

from __future__ import annotations

from typing import Any

from .seeding import SeedError

# The string keys every item of a section needs.
_REQUIRED_KEYS = {
    "users": ("username",),
    "organizations": ("name",),
    "teams": ("name", "organization"),
    "registries": ("name", "organization"),
}


def check_seed(seed: Any) -> dict[str, Any]:
    """The seed itself when its known sections are well formed; SeedError saying where not."""
    if not isinstance(seed, dict):
        raise SeedError("a seed document is one object with users, organizations, teams...")
    for section, required in _REQUIRED_KEYS.items():
        items = seed.get(section, [])
        if not isinstance(items, list):
            raise SeedError(f"`{section}` must be a list")
        for index, item in enumerate(items):
            _check_item(f"{section}[{index}]", item, required)
    return seed


def _check_item(where: str, item: Any, required: tuple[str, ...]) -> None:
    if not isinstance(item, dict):
        raise SeedError(f"{where} must be an object")
    for key in required:
        if not isinstance(item.get(key), str):
            raise SeedError(f"{where}: `{key}` must be a string")
    members = item.get("members", [])
    if not isinstance(members, list):
        raise SeedError(f"{where}: `members` must be a list")
    for position, member in enumerate(members):
        if not isinstance(member, dict) or not isinstance(member.get("username"), str):
            raise SeedError(f"{where}.members[{position}] needs a `username` string")
