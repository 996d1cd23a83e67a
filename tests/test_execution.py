"""The executor that shares collected fields across requests and completes direct fields
inline (graphql/fastpath/execution.py) must answer exactly as graphql-core's own executor does:
the same data, the same errors with the same paths, the same null propagation. Each
document here runs on a small schema built from the emulator's field helpers, once with
each executor, and the answers are compared."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import strawberry
from answers import moment_free
from strawberry.extensions import FieldExtension, ParserCache
from ui_world import World, build_world

from wandb_emulator.graphql.schema import fast_path_refusal

if (refusal := fast_path_refusal()) is not None:  # an untested release: no fast path to test
    pytest.skip(f"the fast path is off: {refusal}", allow_module_level=True)

from wandb_emulator.graphql.fastpath.execution import (
    ExecutionPlans,
    directive_variables,
    executor_class,
)
from wandb_emulator.graphql.fastpath.resolvers import install_direct_resolvers
from wandb_emulator.graphql.fields import context_field, source_field
from wandb_emulator.graphql.schema import build_schema
from wandb_emulator.testing import InProcessEmulator

pytestmark = pytest.mark.fast


@dataclass
class Rec:
    id: int
    name: str | None
    size: Any = 3
    broken: bool = False


class Boom(Exception):
    pass


async def later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


@strawberry.interface
class Named:
    rec: strawberry.Private[Rec]
    label: str = "named"


@strawberry.type
class Item(Named):
    @source_field
    def name(self) -> str:
        return self.rec.name  # type: ignore[return-value]  # None on purpose: a non-null error

    @source_field
    def maybe_name(self) -> str | None:
        return self.rec.name

    @source_field
    def size(self) -> int:
        if self.rec.broken:
            raise Boom(f"item {self.rec.id} is broken")
        return self.rec.size  # type: ignore[no-any-return]  # a str on purpose: refused

    @source_field
    def maybe_size(self) -> int | None:
        return self.rec.size  # type: ignore[no-any-return]

    @context_field
    def parent(self, info: strawberry.Info) -> Item | None:
        found = info.context["items"].get(self.rec.id - 1)
        return None if found is None else Item(rec=found)

    @context_field
    def required_parent(self, info: strawberry.Info) -> Item:
        return self.parent(info)  # type: ignore[operator,no-any-return]

    @context_field
    def later_parent(self, info: strawberry.Info) -> Item | None:
        return later(self.parent(info))  # type: ignore[operator,return-value]

    @context_field
    def children(self, info: strawberry.Info) -> list[Item]:
        return [Item(rec=rec) for key, rec in info.context["items"].items() if key > self.rec.id]

    @context_field
    def children_and_a_hole(self, info: strawberry.Info) -> list[Item]:
        return [*self.children(info), None]  # type: ignore[operator,list-item]  # a null item

    @context_field
    def later_size(self, info: strawberry.Info) -> int | None:
        return later(self.rec.size) if self.rec.id % 2 else self.rec.size  # type: ignore[return-value]

    @context_field
    def wrong(self, info: strawberry.Info) -> Item | None:
        return self.rec  # type: ignore[return-value]  # not an Item: is_type_of refuses it

    @strawberry.field
    async def tags(self, prefix: str = "t") -> list[str]:
        return [f"{prefix}{self.rec.id}", f"{prefix}x"]

    # An interface's values: of either type, of no type of it, cast to another type.
    @context_field
    def as_named(self, info: strawberry.Info) -> Named:
        return Item(rec=self.rec) if self.rec.id % 2 else Other(rec=self.rec)

    @context_field
    def maybe_named(self, info: strawberry.Info) -> Named | None:
        return self.rec if self.rec.id == 3 else self.as_named(info)  # type: ignore[operator,return-value]

    @context_field
    def cast_named(self, info: strawberry.Info) -> Named:
        return strawberry.cast(Other, Item(rec=self.rec))

    @context_field
    def named_list(self, info: strawberry.Info) -> list[Named]:
        return [Item(rec=self.rec), Other(rec=self.rec)]

    # Objects of a type with Strawberry's is_type_of (Other implements Named).
    @context_field
    def others(self, info: strawberry.Info) -> list[Other]:
        found = [Other(rec=rec) for key, rec in info.context["items"].items() if key < self.rec.id]
        return [*found, self.rec] if self.rec.id == 4 else found  # type: ignore[list-item]

    @context_field
    def cast_other(self, info: strawberry.Info) -> Other | None:
        return strawberry.cast(Other, Item(rec=self.rec)) if self.rec.id % 2 else None


@strawberry.type
class Other(Named):
    @source_field
    def other_id(self) -> int:
        return self.rec.id

    @context_field
    def back(self, info: strawberry.Info) -> Named:
        return Item(rec=self.rec)


class Shout(FieldExtension):
    """A field extension on plain attributes: Strawberry resolves such a field with its
    `_resolver(source, info)`, which it marks `_is_default` as it marks a basic field's."""

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        value = next_(source, info, **kwargs)
        return value.upper() if isinstance(value, str) else value


@strawberry.type
class Holder:
    shouted: str = strawberry.field(default="quiet", extensions=[Shout()])
    held: Other | None = strawberry.field(default=None, extensions=[Shout()])


@strawberry.type
class Query:
    @strawberry.field
    def holder(self, info: strawberry.Info) -> Holder:
        return Holder(held=Other(rec=info.context["items"][1]))

    @strawberry.field
    def items(self, info: strawberry.Info) -> list[Item]:
        return [Item(rec=rec) for rec in info.context["items"].values()]

    @strawberry.field
    def item(self, info: strawberry.Info, id: int) -> Item | None:
        found = info.context["items"].get(id)
        return None if found is None else Item(rec=found)

    @strawberry.field
    async def required_items(self, info: strawberry.Info) -> list[Item]:
        await asyncio.sleep(0)
        return self.items(info)


def build(plans: ExecutionPlans | None) -> strawberry.Schema:
    """The toy schema; with `plans`, on the inline executor with direct resolvers (stock
    Strawberry without). Documents are parsed once, as the emulator's document cache
    does: sharing is keyed by the parsed nodes."""
    schema = strawberry.Schema(
        query=Query,
        types=[Other],
        execution_context_class=executor_class(plans) if plans else None,
        extensions=[lambda: ParserCache()],
    )
    if plans:
        install_direct_resolvers(schema)
    return schema


PLAIN, INLINE = build(None), build(ExecutionPlans())
ITEMS = {
    1: Rec(1, "one"),
    2: Rec(2, None, size="two"),
    3: Rec(3, "three", size="not a number"),
    4: Rec(4, "four", broken=True),
    5: Rec(5, "five"),
}
FIELDS = "__typename id: maybeName maybeName maybeSize"

DOCUMENTS = [
    f"{{ items {{ {FIELDS} }} }}",
    "{ items { name } }",  # a null for a non-null leaf: the item, then the list, is null
    "{ item(id: 2) { maybeName name } }",
    "{ items { size } }",  # a resolver that raises, and a value Int refuses
    "{ items { maybeSize } }",
    f"{{ items {{ {FIELDS} parent {{ {FIELDS} parent {{ maybeName }} }} }} }}",
    "{ items { requiredParent { maybeName } } }",  # item 1 has no parent
    "{ item(id: 5) { requiredParent { requiredParent { name } } } }",  # item 2's name is null
    "{ items { laterParent { maybeName laterParent { maybeName } } } }",
    "{ items { laterParent { name } } }",
    '{ requiredItems { maybeName tags(prefix: "p") parent { tags } } }',
    "{ requiredItems { name } }",
    "{ a: item(id: 1) { ...F } b: item(id: 3) { ...F maybeName } } "
    "fragment F on Item { x: maybeName maybeSize parent { ...G } } fragment G on Item { id: size }",
    "{ items { ... on Item { maybeName } ...on Item { maybeName parent { maybeName } } } }",
    "{ items { wrong { maybeName } } }",
    "{ items { id: maybeName children { maybeName laterSize children { name } } } }",
    "{ items { children { laterParent { maybeName } parent { name } } } }",
    "{ item(id: 3) { childrenAndAHole { maybeName } } }",
    "{ items { laterSize maybeName } }",
    "{ items { asNamed { __typename label ... on Item { maybeName } "
    "... on Other { otherId back { __typename ... on Item { maybeSize } } } } } }",
    "{ items { maybeNamed { __typename label } } }",  # item 3's is no Named
    "{ items { castNamed { __typename ... on Other { otherId } } } }",
    "{ items { namedList { __typename label ... on Other { otherId } } } }",
    "{ items { others { otherId label } } }",  # item 4's list holds a non-Other
    "{ items { castOther { otherId back { label } } } }",
    # attributes with a field extension: Strawberry's resolver takes the info
    "{ holder { shouted held { otherId label } } }",
    # a pending sibling, then an error that nulls the whole item: the sibling is settled
    "{ item(id: 5) { laterParent { maybeName } "
    "requiredParent { requiredParent { requiredParent { name } } } } }",
]


def run(schema: strawberry.Schema, document: str, variables: dict | None = None) -> Any:
    result = asyncio.run(
        schema.execute(document, variable_values=variables, context_value={"items": ITEMS})
    )
    errors = sorted(
        (error.message, tuple(error.path or ()), tuple(map(str, error.locations or ())))
        for error in result.errors or ()
    )
    return result.data, errors


@pytest.mark.parametrize("document", DOCUMENTS)
def test_answers_as_graphql_core_does(document: str) -> None:
    expected = run(PLAIN, document)
    assert run(INLINE, document) == expected
    assert run(INLINE, document) == expected  # again, with everything shared


def test_key_order_is_the_selection_order() -> None:
    document = "{ item(id: 1) { tags maybeName __typename parent { maybeSize id: maybeName } } }"
    data, _ = run(INLINE, document)
    assert list(data["item"]) == ["tags", "maybeName", "__typename", "parent"]
    assert data["item"]["parent"] is None  # item 1 has no parent
    data, _ = run(INLINE, document.replace("id: 1", "id: 3"))
    assert list(data["item"]["parent"]) == ["maybeSize", "id"]


@pytest.mark.parametrize("flag", [True, False, True])
def test_directives_decide_per_request_what_is_shared(flag: bool) -> None:
    document = (
        "query Q($on: Boolean!) { items { maybeName @include(if: $on) "
        "parent { id: maybeName @skip(if: $on) } } }"
    )
    expected = run(PLAIN, document, {"on": flag})
    assert run(INLINE, document, {"on": flag}) == expected
    first = expected[0]["items"][1]
    assert ("maybeName" in first) is flag and ("id" in first["parent"]) is not flag


def test_collected_fields_and_plans_are_shared_across_requests() -> None:
    plans = ExecutionPlans()
    schema = build(plans)
    document = "{ items { maybeName parent { maybeName } } }"
    run(schema, document)
    shared = (len(plans.subfields._entries), len(plans.plans._entries))
    assert shared[0] >= 2 and shared[1] >= 3
    run(schema, document)
    assert (len(plans.subfields._entries), len(plans.plans._entries)) == shared


def test_directive_variables() -> None:
    from graphql import parse

    document = parse(
        "query Q($a: Boolean!, $b: Boolean!, $c: Int) { x(n: $c) @include(if: $a) "
        "...F } fragment F on T { y { z @skip(if: $b) } }"
    )
    assert directive_variables(list(document.definitions)) == ("a", "b")
    deferred = parse("query { x ... @defer { y } }")
    assert directive_variables(list(deferred.definitions)) is None


# ---------------------------------------------------------------- the SDK's documents


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessEmulator, World]]:
    with InProcessEmulator(tmp_path_factory.mktemp("execution") / "data") as emulator:
        yield emulator, emulator.call(build_world(emulator.emulator))


def sdk_documents(world: World) -> dict[str, tuple[str, dict[str, Any]]]:
    from wandb.sdk.artifacts._generated import operations as ops

    registry = {"entity": world.org_entity, "project": "wandb-registry-models"}
    source = {"entity": world.team, "project": world.project}
    in_registry = {"organization": world.org, "registryFilter": '{"name": "models"}'}
    return {
        "FetchRegistry": (ops.FETCH_REGISTRY_GQL, {"name": registry["project"], **registry}),
        "ArtifactByName": (
            ops.ARTIFACT_MEMBERSHIP_BY_NAME_GQL,
            {**registry, "name": f"{world.portfolio}:production", "includeAliases": True},
        ),
        "SourceArtifact": (
            ops.ARTIFACT_MEMBERSHIP_BY_NAME_GQL,
            {**source, "name": f"{world.sequence}:best"},
        ),
        "RegistryVersions": (ops.REGISTRY_VERSIONS_GQL, {**in_registry, "perPage": 10}),
        "RegistryCollections": (ops.REGISTRY_COLLECTIONS_GQL, in_registry),
        "Registries": (ops.FETCH_REGISTRIES_GQL, {"organization": world.org}),
        "Collections": (ops.PROJECT_ARTIFACT_COLLECTIONS_GQL, source),
        "Versions": (
            ops.PROJECT_ARTIFACTS_GQL,
            {**source, "type": "model", "collection": world.sequence},
        ),
        "FileUrls": (
            ops.GET_ARTIFACT_MEMBERSHIP_FILE_URLS_GQL,
            {**registry, "collection": world.portfolio, "alias": "production"},
        ),
        "RunInputs": (ops.RUN_INPUT_ARTIFACTS_GQL, {**source, "run": world.consumer}),
        "RunOutputs": (ops.RUN_OUTPUT_ARTIFACTS_GQL, {**source, "run": world.run}),
        "Members": (ops.REGISTRY_USER_MEMBERS_GQL, registry),
    }


def answers(emulator: InProcessEmulator, document: str, variables: dict[str, Any]) -> list[Any]:
    # alice sees everything; bob (a registry viewer) and carol (another org) see less
    return [
        moment_free(emulator.graphql(key, document, variables).json())
        for key in ("alice-key", "bob-key", "carol-key")
    ]


def test_sdk_documents_answer_as_with_graphql_core(world: tuple[InProcessEmulator, World]) -> None:
    emulator, facts = world
    inline = emulator.emulator.schema
    plain = build_schema(replace(emulator.emulator.config, fast_execution=False))
    assert inline.fast and not plain.fast
    for name, (document, variables) in sdk_documents(facts).items():
        emulator.emulator.schema = plain
        try:
            expected = answers(emulator, document, variables)
        finally:
            emulator.emulator.schema = inline
        assert expected[0].get("data") and "errors" not in expected[0], (name, expected[0])
        assert answers(emulator, document, variables) == expected, name
        assert answers(emulator, document, variables) == expected, name  # all shared now


def test_resolvers_use_only_the_context_of_their_info() -> None:
    """Direct resolvers (graphql/fastpath/resolvers.py) get graphql-core's resolve info,
    or an object holding only the context, instead of Strawberry's Info: nothing in
    graphql/ may read more of it than `info.context`."""
    import ast
    from pathlib import Path

    import wandb_emulator.graphql

    other = []
    for path in Path(wandb_emulator.graphql.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "info"
                and node.attr != "context"
            ):
                other.append(f"{path.name}:{node.lineno} info.{node.attr}")
    assert other == []
