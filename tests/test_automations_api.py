"""The automations management API as the SDK sends it: integrations, secrets, and
create/list/get/update/delete of automations with their error paths."""

from __future__ import annotations

import logging

import pytest
import wandb
from conftest import CONTROL_HEADERS, OrgSetup, journal_mark, journal_since
from wandb.automations import (
    ActionType,
    DoNothing,
    EventType,
    OnAddArtifactAlias,
    OnCreateArtifact,
    OnLinkArtifact,
    OnRunMetric,
    OnRunState,
    RunEvent,
    ScopeType,
    SendWebhook,
    WebhookIntegration,
)
from wandb.errors import CommError

from wandb_emulator.testing import RunningEmulator
from wandb_emulator.testing.accounts import random_name
from wandb_emulator.testing.webhooks import (
    create_webhook_integration,
    delete_secret,
    insert_secret,
    secret_names,
)

RECEIVER = "http://127.0.0.1:9/hook"  # never contacted: these tests fire nothing


@pytest.fixture
def project(org_setup: OrgSetup):
    api = org_setup.admin.api()
    name = random_name("proj")
    api.create_project(name, org_setup.team)
    return api.project(name, org_setup.team)


def _webhook(setup: OrgSetup, name: str = "deploy") -> WebhookIntegration:
    return create_webhook_integration(setup.admin.api(), setup.team, name, RECEIVER)


def test_webhook_integrations_are_listed_by_entity(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    created = [_webhook(org_setup, f"hook-{i}") for i in range(3)]
    assert isinstance(created[0], WebhookIntegration)
    listed = list(api.webhook_integrations(org_setup.team, per_page=2))
    assert [hook.name for hook in listed] == ["hook-0", "hook-1", "hook-2"]
    assert {hook.id for hook in listed} == {hook.id for hook in created}
    assert all(hook.url_endpoint == RECEIVER for hook in listed)
    assert [ig.name for ig in api.integrations(org_setup.team)] == ["hook-0", "hook-1", "hook-2"]
    assert list(api.slack_integrations(entity=org_setup.team)) == []


def test_duplicate_or_invalid_webhook_integrations_are_refused(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    _webhook(org_setup, "twice")
    with pytest.raises(Exception, match="already exists"):
        _webhook(org_setup, "twice")
    with pytest.raises(Exception, match="invalid webhook URL"):
        create_webhook_integration(api, org_setup.team, "bad-url", "ftp://x")
    with pytest.raises(Exception, match="secret 'MISSING' not found"):
        create_webhook_integration(
            api, org_setup.team, "no-secret", RECEIVER, access_token_ref="MISSING"
        )


def test_only_admins_manage_integrations_and_secrets(org_setup: OrgSetup) -> None:
    member = org_setup.accounts.user()
    org_setup.admin.api().team(org_setup.team).invite(member.username)  # a team member
    member_api = member.api()
    with pytest.raises(Exception, match="permission denied"):
        create_webhook_integration(member_api, org_setup.team, "sneaky", RECEIVER)
    with pytest.raises(Exception, match="permission denied"):
        insert_secret(member_api, org_setup.team, "TOKEN", "s3cret")


def test_secret_values_are_never_returned(
    org_setup: OrgSetup, server: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wandb_emulator")  # the server's own log lines
    api = org_setup.admin.api()
    insert_secret(api, org_setup.team, "DEPLOY_TOKEN", "value-that-must-not-leak")
    insert_secret(api, org_setup.team, "OTHER", "second-value-that-must-not-leak")
    assert secret_names(api, org_setup.team) == ["DEPLOY_TOKEN", "OTHER"]
    delete_secret(api, org_setup.team, "OTHER")
    assert secret_names(api, org_setup.team) == ["DEPLOY_TOKEN"]
    with pytest.raises(Exception, match="not found"):
        delete_secret(api, org_setup.team, "OTHER")
    journal = server.graphql(org_setup.admin.api_key, "{ viewer { id } }")
    assert journal.status_code == 200
    entries = server_journal(server)
    assert any(e.get("operation") == "InsertSecret" for e in entries)
    assert "value-that-must-not-leak" not in str(entries)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("wandb_emulator")]
    assert any("InsertSecret" in line for line in logged)  # debug: one line per request
    assert not any("value-that-must-not-leak" in line for line in logged)


def server_journal(server: RunningEmulator) -> list[dict]:
    import httpx

    response = httpx.get(
        f"{server.base_url}/_emulator/journal", headers=CONTROL_HEADERS, timeout=10
    )
    return response.json()["entries"]


def test_create_get_list_and_delete_an_automation(org_setup: OrgSetup, project) -> None:
    api = org_setup.admin.api()
    hook = _webhook(org_setup)
    event = OnRunMetric(scope=project, filter=RunEvent.metric("loss") < 0.1)
    action = SendWebhook.from_integration(hook, payload={"run": "${run_name}"})
    created = api.create_automation(
        event >> action, name="low-loss", description="tell CI", enabled=True
    )
    assert created.name == "low-loss"
    assert created.description == "tell CI"
    assert created.enabled
    assert created.scope.id == project.id
    assert created.scope.scope_type is ScopeType.PROJECT
    assert created.event.event_type is EventType.RUN_METRIC_THRESHOLD
    assert created.action.action_type is ActionType.GENERIC_WEBHOOK
    assert created.action.integration.id == hook.id
    assert created.action.request_payload == {"run": "${run_name}"}

    fetched = api.automation("low-loss", entity=org_setup.team)
    assert fetched.id == created.id
    assert fetched.event.filter.metric.threshold_filter.threshold == 0.1
    assert api.automation("low-loss").id == created.id  # legacy listing walks projects

    assert api.delete_automation(created) is True
    assert list(api.automations(entity=org_setup.team, name="low-loss")) == []
    with pytest.raises(Exception, match="not found"):
        api.delete_automation(created.id)


def test_duplicate_names_fail_unless_fetch_existing(org_setup: OrgSetup, project) -> None:
    api = org_setup.admin.api()
    event = OnRunState(scope=project, filter=RunEvent.state.eq("finished"))
    first = api.create_automation(event >> DoNothing(), name="once")
    with pytest.raises(CommError, match=r"'once' exists\. Unable to create another"):
        api.create_automation(event >> DoNothing(), name="once")
    again = api.create_automation(event >> DoNothing(), name="once", fetch_existing=True)
    assert again.id == first.id


def test_automations_page_through_an_entity(org_setup: OrgSetup, project) -> None:
    api = org_setup.admin.api()
    event = OnRunState(scope=project, filter=RunEvent.state.eq("failed"))
    names = [f"auto-{i}" for i in range(5)]
    for name in names:
        api.create_automation(event >> DoNothing(), name=name)
    listed = list(api.automations(entity=org_setup.team, per_page=2))
    assert [a.name for a in listed] == names
    assert [a.name for a in api.automations(entity=org_setup.team, name="auto-3")] == ["auto-3"]


def test_update_every_field(org_setup: OrgSetup, project) -> None:
    api = org_setup.admin.api()
    hook = _webhook(org_setup)
    event = OnRunState(scope=project, filter=RunEvent.state.eq("finished"))
    created = api.create_automation(event >> DoNothing(), name="editable")
    other = api.project(random_name("other"), org_setup.team)
    api.create_project(other.name, org_setup.team)
    other = api.project(other.name, org_setup.team)

    updated = api.update_automation(
        created,
        name="edited",
        description="now a webhook",
        enabled=False,
        scope=other,  # the SDK takes the scope from here, not from the event
        event=OnRunMetric(scope=other, filter=RunEvent.metric("acc").gt(0.9)),
        action=SendWebhook.from_integration(hook, payload={"acc": "${run_summary.acc}"}),
    )
    assert updated.id == created.id
    assert (updated.name, updated.description, updated.enabled) == (
        "edited",
        "now a webhook",
        False,
    )
    assert updated.scope.id == other.id
    assert updated.event.event_type is EventType.RUN_METRIC_THRESHOLD
    assert updated.action.request_payload == {"acc": "${run_summary.acc}"}

    fetched = api.automation("edited", entity=org_setup.team)
    fetched.enabled = True
    assert api.update_automation(fetched).enabled is True


def test_update_of_a_deleted_automation_is_not_found(org_setup: OrgSetup, project) -> None:
    api = org_setup.admin.api()
    event = OnRunState(scope=project, filter=RunEvent.state.eq("finished"))
    created = api.create_automation(event >> DoNothing(), name="gone")
    api.delete_automation(created)
    with pytest.raises(CommError, match=r"'gone' not found\. Unable to edit it"):
        api.update_automation(created, description="too late")


def test_duplicate_name_on_update_is_refused(org_setup: OrgSetup, project) -> None:
    api = org_setup.admin.api()
    event = OnRunState(scope=project, filter=RunEvent.state.eq("finished"))
    api.create_automation(event >> DoNothing(), name="taken")
    mine = api.create_automation(event >> DoNothing(), name="mine")
    with pytest.raises(CommError, match="already exists"):
        api.update_automation(mine, name="taken")


def test_incompatible_event_and_scope_are_refused(
    org_setup: OrgSetup, project, server: RunningEmulator
) -> None:
    # The SDK refuses these pairs itself...
    with pytest.raises(ValueError):
        OnCreateArtifact(scope=project)
    # ...and so does the server, when a client sends them anyway.
    hook_free = {"noOpActionInput": {"noOp": True}}
    response = _create_raw(server, org_setup, project.id, "PROJECT", "CREATE_ARTIFACT", hook_free)
    assert "cannot be scoped to PROJECT" in response["errors"][0]["message"]
    response = _create_raw(
        server, org_setup, project.id, "PROJECT", "UPDATE_ARTIFACT_ALIAS", hook_free
    )
    assert "cannot be assigned" in response["errors"][0]["message"]
    response = _create_raw(server, org_setup, project.id, "ENTITY", "RUN_STATE", hook_free)
    assert "not supported" in response["errors"][0]["message"]


def _create_raw(
    server: RunningEmulator,
    setup: OrgSetup,
    scope_id: str,
    scope_type: str,
    event_type: str,
    action: dict,
) -> dict:
    """CreateAutomation as a client that skips the SDK's own checks would send it."""
    from wandb.automations._generated import CREATE_AUTOMATION_GQL

    variables = {
        "input": {
            "name": random_name("raw"),
            "enabled": True,
            "scopeType": scope_type,
            "scopeID": scope_id,
            "triggeringEventType": event_type,
            "eventFilter": "{}",
            "triggeredActionType": "NO_OP",
            "triggeredActionConfig": action,
        }
    }
    return server.graphql(setup.admin.api_key, CREATE_AUTOMATION_GQL, variables).json()


def test_only_admins_manage_automations(org_setup: OrgSetup, project) -> None:
    member = org_setup.accounts.user()
    org_setup.admin.api().team(org_setup.team).invite(member.username)
    event = OnRunState(scope=project, filter=RunEvent.state.eq("finished"))
    with pytest.raises(CommError, match="only admins"):
        member.api().create_automation(event >> DoNothing(), name="not-mine")


def test_registry_automations_need_registry_admins(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry(random_name("reg"), "organization", organization=org_setup.org)
    event = OnAddArtifactAlias(scope=registry, filter={"alias": "production"})
    created = api.create_automation(event >> DoNothing(), name=random_name("reg-auto"))
    assert created.scope.id == registry.id
    viewer = org_setup.member("member")  # an org member is a registry viewer by default
    with pytest.raises(CommError, match="only admins"):
        viewer.api().create_automation(
            OnLinkArtifact(scope=registry) >> DoNothing(), name=random_name("viewer")
        )
    outsider = org_setup.accounts.user()
    assert (
        list(outsider.api().automations(entity=api.organization(org_setup.org).org_entity.name))
        == []
    )


def test_unknown_automation_is_a_value_error(org_setup: OrgSetup) -> None:
    with pytest.raises(ValueError, match="No automations found"):
        org_setup.admin.api().automation("nothing-here", entity=org_setup.team)


def test_wandb_is_the_real_sdk() -> None:
    assert wandb.__version__ == "0.31.0"


def test_automations_of_an_entity_come_per_page_and_resume_from_a_cursor(
    org_setup: OrgSetup, project, server: RunningEmulator
) -> None:
    api = org_setup.admin.api()
    event = OnRunState(scope=project, filter=RunEvent.state.eq("failed"))
    names = [f"paged-{i}" for i in range(7)]
    for name in names:
        api.create_automation(event >> DoNothing(), name=name)
    mark = journal_mark(server)

    pages = api.automations(entity=org_setup.team, per_page=3)
    first_four = [next(pages).name for _ in range(4)]  # two requests: 3, then 3 more
    assert first_four == names[:4]
    requests = [e for e in journal_since(server, mark) if e["operation"] == "GetEntityAutomations"]
    assert [e["variables"]["perPage"] for e in requests] == [3, 3]

    resumed = api.automations(entity=org_setup.team, per_page=3, start=pages.cursor)
    assert [a.name for a in resumed] == names[6:]  # right after the last one fetched
    fresh = list(org_setup.admin.api().automations(entity=org_setup.team, per_page=3))
    assert [a.name for a in fresh] == names
