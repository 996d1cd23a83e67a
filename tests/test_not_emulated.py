"""Operations the schema lacks get `not emulated: <Operation>`; introspection probes work."""

from __future__ import annotations

import pytest
import wandb
from conftest import OrgSetup
from wandb.sdk.lib.service.service_connection import WandbApiFailedError

from wandb_emulator.graphql.outline import operation_name
from wandb_emulator.testing import RunningEmulator


@pytest.mark.parametrize(
    ("document", "name"),
    [
        ("query Viewer { viewer { id } }", "Viewer"),
        ("mutation UpsertRegistry($input: X!) { a }", "UpsertRegistry"),
        ("# a comment\nfragment F on Query { query }\nquery Named { ...F }", "Named"),
        ("{ viewer { id } }", None),
        ("query { viewer { id } }", None),
        ("query Broken(", "Broken"),
        ('"unterminated', None),
    ],
)
def test_the_operation_name_comes_from_the_document(document: str, name: str | None) -> None:
    assert operation_name(document) == name


def test_unknown_fields_answer_not_emulated_and_keep_the_validation_message(
    server: RunningEmulator, org_setup: OrgSetup
) -> None:
    response = server.graphql(
        org_setup.admin.api_key, "query ServerInfo { serverInfo { frontendHost } }"
    )
    assert response.status_code == 400
    messages = [error["message"] for error in response.json()["errors"]]
    assert 'Cannot query field "frontendHost" on type "ServerInfo".' in messages
    assert messages[-1] == "not emulated: ServerInfo"
    assert response.json()["errors"][-1]["extensions"] == {"code": "NOT_EMULATED"}


@pytest.mark.parametrize(
    "document",
    [
        "mutation LinkArtifact($input: LinkArtifactInput!) { linkArtifact(input: $input) { x } }",
        'query FetchRegistry { entity(name: "e", nope: 1) { id } }',
        'mutation UpsertRegistry { upsertModel(input: {name: "n", colour: "red"}) { inserted } }',
    ],
)
def test_unknown_types_arguments_and_input_fields_are_not_emulated(
    server: RunningEmulator, org_setup: OrgSetup, document: str
) -> None:
    response = server.graphql(org_setup.admin.api_key, document)
    expected = f"not emulated: {operation_name(document)}"
    assert expected in [error["message"] for error in response.json()["errors"]]


def test_unknown_input_fields_in_variables_are_not_emulated(
    server: RunningEmulator, org_setup: OrgSetup
) -> None:
    document = (
        "mutation UpsertRegistry($input: UpsertModelInput!) "
        "{ upsertModel(input: $input) { inserted } }"
    )
    variables = {"input": {"name": "n", "entityName": "e", "colour": "red"}}
    response = server.graphql(org_setup.admin.api_key, document, variables)
    messages = [error["message"] for error in response.json()["errors"]]
    assert 'unknown field "colour"' in messages[0]
    assert messages[-1] == "not emulated: UpsertRegistry"


def test_other_validation_errors_are_not_called_not_emulated(
    server: RunningEmulator, org_setup: OrgSetup
) -> None:
    response = server.graphql(org_setup.admin.api_key, "query Unused($x: String) { viewer { id } }")
    assert response.status_code == 400
    assert not any("not emulated" in e["message"] for e in response.json()["errors"])


def test_the_sdk_reports_not_emulated(server: RunningEmulator, org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    # The SDK's own transport: wandb-core forwards Python documents without operationName.
    with pytest.raises(WandbApiFailedError, match="not emulated: ProjectRunQueues"):
        api._service_api.execute_graphql(
            'query ProjectRunQueues { project(name: "p", entityName: "e") {'
            " runQueues { id name } } }"
        )


# 0.22.3 probed the schema with introspection before choosing which documents to send.
PROBES = [
    'query ProbeServerCapabilities { QueryType: __type(name: "Query") { fields { name } } '
    'MutationType: __type(name: "Mutation") { fields { name } } }',
    'query ProbeServerSettings { ServerSettingsType: __type(name: "ServerSettings") '
    "{ fields { name } } }",
    'query ProbeServerUseArtifactInput { UseArtifactInputInfoType: __type(name: "UseArtifactInput")'
    " { name inputFields { name } } }",
    'query ProbeInput { __type(name: "UpsertModelInput") { name inputFields { name } } }',
]


@pytest.mark.parametrize("probe", PROBES)
def test_introspection_probes_are_answered(
    server: RunningEmulator, org_setup: OrgSetup, probe: str
) -> None:
    response = server.graphql(org_setup.admin.api_key, probe)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()


def test_introspection_answers_what_the_schema_has(
    server: RunningEmulator, org_setup: OrgSetup
) -> None:
    data = server.graphql(org_setup.admin.api_key, PROBES[0]).json()["data"]
    assert "upsertModel" in {field["name"] for field in data["MutationType"]["fields"]}
    input_fields = server.graphql(org_setup.admin.api_key, PROBES[3]).json()["data"]["__type"]
    assert "allowAllArtifactTypesInRegistry" in {f["name"] for f in input_fields["inputFields"]}
    use_input = server.graphql(org_setup.admin.api_key, PROBES[2]).json()["data"]
    names = {f["name"] for f in use_input["UseArtifactInputInfoType"]["inputFields"]}
    assert {"artifactID", "usedAs", "artifactEntityName"} <= names
    unknown = server.graphql(org_setup.admin.api_key, PROBES[1]).json()["data"]
    assert unknown == {"ServerSettingsType": None}


def test_wandb_is_the_real_sdk() -> None:
    assert wandb.__version__ == "0.31.0"
