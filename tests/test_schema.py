"""schema.graphql is the exported Strawberry schema; drift fails here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes

from wandb_emulator.config import Config
from wandb_emulator.graphql.schema import build_schema, fast_path_refusal

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_matches_the_exported_schema() -> None:
    exported = build_schema().as_str() + "\n"
    committed = SCHEMA_FILE.read_text()
    if committed != exported:
        breaking = find_breaking_changes(parse_sdl(committed), parse_sdl(exported))
        details = "\n".join(f"  {c.type.name}: {c.description}" for c in breaking)
        raise AssertionError(
            "schema.graphql is out of date; run `make schema` and commit it."
            + (f"\nBreaking changes against the committed schema:\n{details}" if details else "")
        )


def test_field_names_the_sdk_spells_oddly() -> None:
    sdl = build_schema().as_str()
    for field in (
        "allowAllArtifactTypesInRegistry",
        "internalId",
        "orgEntity",
        "isEnabled",
        "createProjectMembers",
        "updateProjectTeamMember",
        "teamProjectRole",
    ):
        assert field in sdl


@pytest.mark.skipif(fast_path_refusal() is not None, reason="the fast path is off here")
def test_a_known_document_is_parsed_and_validated_once() -> None:
    """The limits are static rules, so the validation cache key stays the same."""
    schema = build_schema(Config(max_query_depth=3))
    query = "query Probe { serverInfo { features { name } } }"
    too_deep = "{ viewer { teams { edges { node { name } } } } }"

    async def run() -> list[list[str]]:
        results = [await schema.execute(q) for q in (query, query, query, too_deep, too_deep)]
        return [[e.message for e in r.errors or []] for r in results]

    errors = asyncio.run(run())

    assert errors[:3] == [[], [], []]
    assert errors[3] == errors[4] and "exceeds maximum operation depth" in errors[3][0]
    assert schema.documents.parse.cache_info().misses == 2
    validation = schema.documents.validate.cache_info()
    assert (validation.hits, validation.misses) == (3, 2)
