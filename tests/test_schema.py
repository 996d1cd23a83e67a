"""schema.graphql is the exported Strawberry schema; drift fails here."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes

from wandb_emulator.graphql.schema import build_schema

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
