"""The fast path answers exactly as stock Strawberry does: every GraphQL document of the
contract sets (wandb 0.31.0, 0.28.2 and 0.22.3, queries and mutations) runs on two
emulators that start from copies of one seeded state, one on each path, and the JSON
answers (status, data and errors) are compared.

Variables are made from each operation's variable definitions: names the SDK uses for
the seeded world's entity, project, run, collection, alias and ids get those values (in
two scopes: the team's project and the registry), others a value of their type, so that
documents do real work where the world allows. Queries run first, then mutations, in
the same order on both sides, so the two states stay the same."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from answers import moment_free
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeNode,
    get_named_type,
    parse,
    type_from_ast,
)
from ui_world import World, build_world

from wandb_emulator.config import Config
from wandb_emulator.contract import extract
from wandb_emulator.contract.extract import (
    Document,
    installed_package_dir,
    package_documents,
    package_version,
)
from wandb_emulator.graphql.schema import fast_path_refusal
from wandb_emulator.testing import InProcessEmulator

pytestmark = [
    pytest.mark.fast,
    pytest.mark.skipif(fast_path_refusal() is not None, reason="the fast path is off here"),
]

ROOT = Path(__file__).resolve().parent.parent
# Where `.ci/contract` unpacks the older SDKs (pip --target, never imported).
SDK_CACHE = ROOT / ".venv" / "contract-sdks"
OLDER_SDKS = ("0.28.2", "0.22.3")
# Queries run as an org and registry admin and as a registry viewer; mutations as the admin.
KEYS = {"query": ("alice-key", "bob-key"), "mutation": ("alice-key",)}


def sdk_package(version: str) -> Path:
    target = SDK_CACHE / version
    if not (target / "wandb" / "__init__.py").is_file():
        shutil.rmtree(target, ignore_errors=True)
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        subprocess.run([*pip, "--target", str(target), f"wandb=={version}"], check=True)
    return target / "wandb"


def sdk_documents(package: Path) -> list[Document]:
    """The documents of a wandb package, extracted once per version and extractor (it
    takes seconds): a changed extractor extracts again."""
    extractor = hashlib.sha256(Path(extract.__file__).read_bytes()).hexdigest()[:12]
    cache = SDK_CACHE / f"documents-{package_version(package)}-{extractor}.json"
    if not cache.is_file():
        cache.parent.mkdir(parents=True, exist_ok=True)
        found = [asdict(document) for document in package_documents(package)]
        cache.write_text(json.dumps(found))
    return [Document(**document) for document in json.loads(cache.read_text())]


def contract_documents() -> list[Document]:
    """Every document of the three SDKs once (by text): queries, then mutations."""
    found: dict[str, Document] = {}
    for package in (installed_package_dir(), *map(sdk_package, OLDER_SDKS)):
        for document in sdk_documents(package):
            found.setdefault(document.text, document)
    return sorted(found.values(), key=lambda document: document.kind != "query")


@dataclass(frozen=True)
class Scope:
    """Values of the variables a document names, in one part of the seeded world: by
    `name:Type` (the variable's or input field's named type), else by name, else a value
    of its type."""

    by_name: dict[str, Any]

    def value(self, name: str, type_: GraphQLInputType, depth: int = 0) -> Any:
        named = get_named_type(type_)
        for key in (f"{name}:{named.name}", name):
            if key in self.by_name:
                return self.by_name[key]
        return self.of_type(type_, depth)

    def of_type(self, type_: GraphQLInputType, depth: int = 0) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.of_type(type_.of_type, depth)
        if isinstance(type_, GraphQLList):
            return [self.of_type(type_.of_type, depth + 1)]
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            return {
                name: self.value(name, field.type, depth + 1)
                for name, field in type_.fields.items()
                if depth < 4 and (name in self.by_name or isinstance(field.type, GraphQLNonNull))
            }
        assert isinstance(type_, GraphQLScalarType)
        return SCALAR_VALUES.get(type_.name, "x")


SCALAR_VALUES = {
    "Int": 10,
    "Int64": 1,
    "Float": 0.5,
    "Boolean": True,
    "JSONString": "{}",
    "JSON": "{}",
    "Duration": 1,
    "DateTime": "2024-01-01T00:00:00Z",
}
EMPTY_MD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="  # base64 of the MD5 of no bytes

# The seeded world's ids, asked for once (the same on both emulators).
IDS_QUERY = """query Ids($team: String!, $orgEntity: String!, $artifact: String!) {
  source: project(name: "vision", entityName: $team) {
    id
    artifact(name: $artifact) { id artifactSequence { id } }
    run(name: "run-1") { id }
  }
  registry: project(name: "wandb-registry-models", entityName: $orgEntity) {
    id
    artifactCollection(name: "prod-net") { id }
  }
  team: entity(name: $team) { id }
  viewer { id }
}"""


def world_ids(emulator: InProcessEmulator, world: World) -> dict[str, str]:
    values = {"team": world.team, "orgEntity": world.org_entity, "artifact": "net:best"}
    data = emulator.graphql("alice-key", IDS_QUERY, values).json()["data"]
    source, registry = data["source"], data["registry"]
    return {
        "project": source["id"],
        "artifact": source["artifact"]["id"],
        "sequence": source["artifact"]["artifactSequence"]["id"],
        "run": source["run"]["id"],
        "registry": registry["id"],
        "portfolio": registry["artifactCollection"]["id"],
        "team": data["team"]["id"],
        "user": data["viewer"]["id"],
    }


def scopes(world: World, ids: dict[str, str], kind: str) -> list[Scope]:
    """The team's project and the registry; mutations name new things where they create."""
    common = {
        "organization": world.org,
        "org": world.org,
        "orgName": world.org,
        "run": world.run,
        "runName": world.run,
        "runId": world.run,
        "type": "model",
        "artifactType": "model",
        "artifactTypeName": "model",
        "typeName": "model",
        "perPage": 10,
        "first": 10,
        "includeAliases": True,
        "includeUpload": True,
        "registryFilter": json.dumps({"name": "models"}),
        "artifactID": ids["artifact"],
        "artifactId": ids["artifact"],
        "baseArtifactID": ids["artifact"],
        "artifactSequenceID": ids["sequence"],
        "artifactPortfolioID": ids["portfolio"],
        "artifactCollectionID": ids["portfolio"],
        "scopeID": ids["portfolio"],
        "projectId": ids["registry"],
        "userId": ids["user"],
        "teamId": ids["team"],
        "userProjectRole": "member",
        "teamProjectRole": "member",
        "md5": EMPTY_MD5,
        "digest": "d41d8cd98f00b204e9800998ecf8427e",
        "tags:TagInput": [{"tagName": "fresh"}],
        "tags:String": ["fresh"],
        "username": "bob",
        "teamAdminUserName": "alice",
        "email": "dave@example.com",
        "teamName": "new-team",
        "description": "a description",
        "displayName": "a display name",
        "state": "running",
        "urlEndpoint": "http://127.0.0.1:9/hook",
        "metricName": "_step",
        "metricValue": 1.0,
        "chartName": "new-chart",
        "chartType": "vega2",
        "access:String": "PRIVATE",
        # A custom chart's Vega spec and a sampled-history spec: both JSON objects.
        "spec:JSONString": json.dumps({"keys": ["_step"], "samples": 10}),
    }
    team = {
        **common,
        "entity": world.team,
        "entityName": world.team,
        "project": world.project,
        "projectName": world.project,
        "collection": world.sequence,
        "artifactCollectionName": world.sequence,
        "alias": "best",
        # No mutation takes an artifact's id as `$id: ID`; StopRun takes a run's.
        "id:ID": ids["run"] if kind == "mutation" else ids["artifact"],
    }
    registry = {
        **common,
        "entity": world.org_entity,
        "entityName": world.org_entity,
        "project": "wandb-registry-models",
        "projectName": "wandb-registry-models",
        "collection": world.portfolio,
        "artifactCollectionName": world.portfolio,
        "artifactPortfolioName": world.portfolio,
        "alias": "production",
        "collectionFilter": json.dumps({"name": world.portfolio}),
        "id:ID": ids["registry"],
    }
    for values, collection in ((team, world.sequence), (registry, world.portfolio)):
        values["aliases:ArtifactCollectionAliasInput"] = [
            {
                "entityName": values["entityName"],
                "projectName": values["projectName"],
                "artifactCollectionName": collection,
                "alias": "candidate",
            }
        ]
        values["name"] = "new-thing" if kind == "mutation" else f"{collection}:{values['alias']}"
        values["artifactName"] = f"{collection}:{values['alias']}"
    return [Scope(team), Scope(registry)]


def variables(document: Document, schema: GraphQLSchema, scope: Scope) -> dict[str, Any]:
    [operation] = [
        d for d in parse(document.text).definitions if isinstance(d, OperationDefinitionNode)
    ]
    found = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = _input_type(schema, definition.type)
        if type_ is not None:
            found[name] = scope.value(name, type_)
        elif isinstance(definition.type, GraphQLNonNull):
            found[name] = "x"  # a type the schema lacks: validation refuses the document
    return found


def _input_type(schema: GraphQLSchema, node: TypeNode) -> GraphQLInputType | None:
    try:
        return type_from_ast(schema, node)  # type: ignore[return-value]
    except Exception:
        return None


def answer(emulator: InProcessEmulator, key: str, document: str, values: dict[str, Any]) -> Any:
    response = emulator.graphql(key, document, values)
    return response.status_code, moment_free(response.json())


@pytest.fixture(scope="module")
def twins(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[InProcessEmulator, InProcessEmulator, World]]:
    """A fast and a stock emulator on copies of one seeded world."""
    root = tmp_path_factory.mktemp("differential")
    with InProcessEmulator(root / "fast") as seeding:
        world = seeding.call(build_world(seeding.emulator))
    shutil.copytree(root / "fast", root / "stock")
    config = Config(log_level="warning")
    with (
        InProcessEmulator(root / "fast", replace(config, fast_execution=True)) as fast,
        InProcessEmulator(root / "stock", replace(config, fast_execution=False)) as stock,
    ):
        assert fast.emulator.schema.fast and not stock.emulator.schema.fast
        yield fast, stock, world


def test_every_contract_document_answers_the_same_on_both_paths(
    twins: tuple[InProcessEmulator, InProcessEmulator, World],
) -> None:
    fast, stock, world = twins
    schema = fast.emulator.schema._schema
    documents = contract_documents()
    ids = world_ids(fast, world)
    differences, failures, answered = [], [], {"query": 0, "mutation": 0}
    for document in documents:
        for scope in scopes(world, ids, document.kind):
            values = variables(document, schema, scope)
            for key in KEYS[document.kind]:
                expected = answer(stock, key, document.text, values)
                got = answer(fast, key, document.text, values)
                where = (document.name, document.source, key, values)
                if got != expected:
                    differences.append((*where, got, expected))
                status, body = expected
                if status >= 500 or "internal server error" in json.dumps(body):
                    failures.append((*where, expected))
                elif status == 200 and "errors" not in body and any(body["data"].values()):
                    answered[document.kind] += 1
    assert differences == []
    assert failures == []
    kinds = {kind: sum(d.kind == kind for d in documents) for kind in ("query", "mutation")}
    assert kinds["query"] > 150 and kinds["mutation"] > 100, kinds
    # Real work: answers with data and no error, over both scopes and viewers.
    assert answered["query"] > 300 and answered["mutation"] > 80, answered
