"""Automations: team secrets, integrations (generic webhooks, Slack) and triggers.

Rules:
- Secrets and integrations belong to an entity; its admins manage them, its members
  list them. Secret values never leave this module except toward webhook delivery.
- An automation is scoped to a project (a registry is a project) or to an artifact
  collection; the admins of that project or registry manage it. Its name is unique in
  the scope's entity (duplicates are a Conflict, HTTP 409, which the SDK maps to
  "exists"); a missing automation is a 404 (the SDK's "not found").
- Event types, scopes and actions are checked as the W&B server checks them: run events
  are project-scoped, CREATE_ARTIFACT is collection-scoped, legacy types are refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from .. import auth
from ..ids import InvalidId, decode_id, encode_id
from ..records import EntityRec, ProjectRec, UserRec
from ..store import accounts, artifacts, projects
from ..store import automations as store
from ..store.database import Conn
from ..store.errors import Conflict as StoreConflict
from .errors import Conflict, InvalidInput, NotFound
from .unit import UnitOfWork

ARTIFACT_EVENTS = (
    "LINK_MODEL",
    "UNLINK_ARTIFACT",
    "ADD_ARTIFACT_ALIAS",
    "ADD_ARTIFACT_TAG",
    "REMOVE_ARTIFACT_TAG",
    "ADD_COLLECTION_TAG",
    "REMOVE_COLLECTION_TAG",
    "CREATE_ARTIFACT",
)
RUN_METRIC_EVENTS = ("RUN_METRIC", "RUN_METRIC_CHANGE", "RUN_METRIC_ZSCORE")
RUN_EVENTS = (*RUN_METRIC_EVENTS, "RUN_STATE")
# The scopes each event type may be given (the SDK refuses the same pairs client-side).
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    **{event: ("PROJECT", "ARTIFACT_COLLECTION") for event in ARTIFACT_EVENTS},
    "CREATE_ARTIFACT": ("ARTIFACT_COLLECTION",),
    **{event: ("PROJECT",) for event in RUN_EVENTS},
}
ACTIONS = {
    "GENERIC_WEBHOOK": "genericWebhookActionInput",
    "NOTIFICATION": "notificationActionInput",
    "NO_OP": "noOpActionInput",
}
ACTION_INTEGRATION_KIND = {"GENERIC_WEBHOOK": "GENERIC_WEBHOOK", "NOTIFICATION": "SLACK"}
SEVERITIES = ("INFO", "WARN", "ERROR")
METRIC_FILTER_KEYS = {
    "RUN_METRIC": "threshold_filter",
    "RUN_METRIC_CHANGE": "change_filter",
    "RUN_METRIC_ZSCORE": "zscore_filter",
}
MAX_NAME = 255
WEBHOOK_NAME = re.compile(r"^[-\w]+([ ]+[-\w]+)*$")
SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TriggerNotFound(NotFound):
    """The SDK's update/delete branch on a 404."""

    http_status = 404


@dataclass(frozen=True)
class TriggerInput:
    """A create (all set) or an update (None = keep) of an automation, as the API sends it."""

    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    scope_type: str | None = None
    scope_id: str | None = None
    event_type: str | None = None
    event_filter: str | None = None
    action_type: str | None = None
    action_config: dict[str, Any] | None = None


@dataclass(frozen=True)
class Scope:
    """The project an automation is scoped to, and the collection when it has one."""

    project: ProjectRec
    collection_id: int | None = None


# ------------------------------------------------------------------ secrets


async def _managed_entity(
    conn: Conn, actor: UserRec, entity_name: str, action: auth.Action
) -> EntityRec:
    """The named entity, if the actor may manage its secrets or integrations (`action`)."""
    entity = await accounts.entity_by_name(conn, entity_name)
    await auth.check(conn, actor, action, entity, named=entity_name)
    assert entity is not None
    return entity


async def insert_secret(
    uow: UnitOfWork, actor: UserRec, entity_name: str, name: str, value: str
) -> None:
    if not SECRET_NAME.match(name or ""):
        raise InvalidInput(
            f"invalid secret name {name!r}: use letters, digits and underscores,"
            " not starting with a digit"
        )
    if not value:
        raise InvalidInput("a secret needs a value")
    async with uow.write() as tx:
        entity = await _managed_entity(tx.conn, actor, entity_name, auth.Action.MANAGE_SECRETS)
        await store.put_secret(tx.conn, entity.id, name, value)


async def delete_secret(uow: UnitOfWork, actor: UserRec, entity_name: str, name: str) -> None:
    async with uow.write() as tx:
        entity = await _managed_entity(tx.conn, actor, entity_name, auth.Action.MANAGE_SECRETS)
        if not await store.delete_secret(tx.conn, entity.id, name):
            raise NotFound(f"secret {name!r} not found in {entity_name!r}")


# ------------------------------------------------------------------ integrations


def _check_url(url: str) -> str:
    if not re.match(r"^https?://[^\s/]+", url or ""):
        raise InvalidInput(f"invalid webhook URL {url!r}: give an http:// or https:// URL")
    return url


async def _check_secret_refs(conn: Conn, entity: EntityRec, *refs: str | None) -> None:
    for ref in refs:
        if ref is not None and await store.secret_by_name(conn, entity.id, ref) is None:
            raise InvalidInput(f"secret {ref!r} not found in {entity.name!r}")


async def create_webhook_integration(
    uow: UnitOfWork,
    actor: UserRec,
    entity_name: str,
    name: str,
    url: str,
    *,
    access_token_ref: str | None = None,
    secret_ref: str | None = None,
) -> store.IntegrationRec:
    if not name or len(name) > 64 or not WEBHOOK_NAME.match(name):
        raise InvalidInput(f"invalid integration name {name!r}")
    _check_url(url)
    async with uow.write() as tx:
        entity = await _managed_entity(tx.conn, actor, entity_name, auth.Action.MANAGE_INTEGRATIONS)
        await _check_secret_refs(tx.conn, entity, access_token_ref, secret_ref)
        try:
            return await store.create_integration(
                tx.conn,
                entity.id,
                "GENERIC_WEBHOOK",
                name,
                url=url,
                access_token_ref=access_token_ref or None,
                secret_ref=secret_ref or None,
                created_by=actor.id,
            )
        except StoreConflict as exc:
            raise Conflict(str(exc)) from None


async def create_slack_integration(
    uow: UnitOfWork, entity_name: str, team_name: str, channel_name: str, url: str | None
) -> store.IntegrationRec:
    """A Slack integration as W&B's OAuth flow would leave it (emulator control API)."""
    if not team_name or not channel_name:
        raise InvalidInput("a Slack integration needs a team name and a channel name")
    if url is not None:
        _check_url(url)
    async with uow.write() as tx:
        entity = await accounts.entity_by_name(tx.conn, entity_name)
        if entity is None:
            raise NotFound(f"entity {entity_name!r} not found")
        return await store.create_integration(
            tx.conn,
            entity.id,
            "SLACK",
            f"{team_name}/{channel_name}",
            url=url,
            slack_team=team_name,
            slack_channel=channel_name,
        )


async def delete_integration(uow: UnitOfWork, actor: UserRec, integration_id: str) -> None:
    async with uow.write() as tx:
        integration = await _integration(tx.conn, integration_id)
        entity = await accounts.entity_by_id(tx.conn, integration.entity_id)
        assert entity is not None
        await _managed_entity(tx.conn, actor, entity.name, auth.Action.MANAGE_INTEGRATIONS)
        await store.delete_integration(tx.conn, integration.id)


async def _integration(conn: Conn, global_id: str) -> store.IntegrationRec:
    try:
        pk = decode_id(global_id, "Integration")
    except InvalidId:
        raise InvalidInput(f"invalid integration id {global_id!r}") from None
    integration = await store.integration_by_id(conn, pk)
    if integration is None:
        raise NotFound(f"integration {global_id!r} not found")
    return integration


async def entity_integrations(
    conn: Conn, actor: UserRec, entity: EntityRec
) -> list[store.IntegrationRec]:
    if not await auth.allows(conn, actor, auth.Action.VIEW_ENTITY, entity):
        return []
    return await store.integrations_of_entity(conn, entity.id)


# ------------------------------------------------------------------ triggers


async def resolve_scope(conn: Conn, scope_type: str, scope_id: str) -> Scope:
    try:
        if scope_type == "PROJECT":
            project = await projects.project_by_id(conn, decode_id(scope_id, "Project"))
            if project is not None:
                return Scope(project)
        elif scope_type == "ARTIFACT_COLLECTION":
            pk = decode_id(scope_id, "ArtifactCollection", "ArtifactPortfolio", "ArtifactSequence")
            collection = await artifacts.collection_by_id(conn, pk)
            project = (
                await projects.project_by_id(conn, collection.project_id) if collection else None
            )
            if collection is not None and project is not None:
                return Scope(project, collection.id)
        else:
            raise InvalidInput(
                f"automations scoped to {scope_type} are not supported; "
                "use a project, registry or artifact collection"
            )
    except InvalidId:
        raise InvalidInput(f"invalid scope id {scope_id!r}") from None
    raise NotFound(f"{scope_type.lower()} {scope_id!r} not found")


def _check_event_and_scope(event_type: str, scope_type: str) -> None:
    allowed = EVENT_SCOPES.get(event_type)
    if allowed is None:
        raise InvalidInput(f"{event_type!r} events cannot be assigned to automations")
    if scope_type not in allowed:
        raise InvalidInput(
            f"{event_type!r} events cannot be scoped to {scope_type}; allowed: {', '.join(allowed)}"
        )


def _event_filter(event_type: str, text: str) -> str:
    """The filter as stored and returned: artifact event filters wrapped in {"filter": ...}."""
    try:
        parsed = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise InvalidInput("eventFilter must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise InvalidInput("eventFilter must be a JSON object")
    if event_type in ARTIFACT_EVENTS:
        return json.dumps({"filter": json.dumps(parsed)})
    if event_type == "RUN_STATE":
        states = (parsed.get("run_state_filter") or {}).get("states")
        if not isinstance(states, list) or not states:
            raise InvalidInput("a RUN_STATE filter needs run_state_filter.states")
    else:
        metric = parsed.get("run_metric_filter") or {}
        if not isinstance(metric.get(METRIC_FILTER_KEYS[event_type]), dict):
            raise InvalidInput(
                f"a {event_type} filter needs run_metric_filter.{METRIC_FILTER_KEYS[event_type]}"
            )
    return json.dumps(parsed)


def saved_filter(event_type: str, stored: str) -> dict[str, Any]:
    """The filter an event is matched against (artifact filters unwrapped)."""
    parsed = json.loads(stored)
    if event_type in ARTIFACT_EVENTS:
        return json.loads(parsed.get("filter") or "{}")
    return parsed


async def _action(
    conn: Conn, actor: UserRec, scope: Scope, action_type: str, config: dict[str, Any]
) -> tuple[str, int | None]:
    """The stored action config (JSON) and the integration it uses."""
    key = ACTIONS.get(action_type)
    if key is None:
        raise InvalidInput(f"{action_type!r} actions cannot be assigned to automations")
    spec = config.get(key)
    if not isinstance(spec, dict):
        raise InvalidInput(f"a {action_type} action needs triggeredActionConfig.{key}")
    if action_type == "NO_OP":
        return json.dumps({}), None
    integration = await _integration(conn, str(spec.get("integrationID") or ""))
    await _check_integration_use(conn, actor, scope, integration, action_type)
    if action_type == "GENERIC_WEBHOOK":
        payload = spec.get("requestPayload")
        if payload is not None:
            try:
                json.loads(payload)
            except (TypeError, json.JSONDecodeError):
                raise InvalidInput("requestPayload must be JSON") from None
        return json.dumps({"requestPayload": payload}), integration.id
    severity = spec.get("severity") or "INFO"
    if severity not in SEVERITIES:
        raise InvalidInput(f"invalid severity {severity!r}")
    fields = {"title": spec.get("title") or "", "message": spec.get("message") or ""}
    return json.dumps({**fields, "severity": severity}), integration.id


async def _check_integration_use(
    conn: Conn,
    actor: UserRec,
    scope: Scope,
    integration: store.IntegrationRec,
    action_type: str,
) -> None:
    """The integration suits the action and belongs to the scope's entity or organization."""
    if integration.kind != ACTION_INTEGRATION_KIND[action_type]:
        raise InvalidInput(f"a {action_type} action cannot use a {integration.kind} integration")
    owner = await accounts.entity_by_id(conn, integration.entity_id)
    scope_entity = await accounts.entity_by_id(conn, scope.project.entity_id)
    assert owner is not None and scope_entity is not None
    same_org = (
        owner.organization_id is not None and owner.organization_id == scope_entity.organization_id
    )
    if owner.id != scope_entity.id and not same_org:
        raise InvalidInput(
            f"integration of {owner.name!r} cannot be used by automations of {scope_entity.name!r}"
        )
    await auth.check(conn, actor, auth.Action.USE_INTEGRATION, owner)


async def _managed_scope(conn: Conn, actor: UserRec, scope_type: str, scope_id: str) -> Scope:
    scope = await resolve_scope(conn, scope_type, scope_id)
    named = f"{scope_type.lower()} {scope_id!r}"
    await auth.check(conn, actor, auth.Action.MANAGE_AUTOMATIONS, scope.project, named=named)
    return scope


def _check_name(name: str | None) -> str:
    if not name or not name.strip():
        raise InvalidInput("an automation needs a name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"automation names must be at most {MAX_NAME} characters")
    return name


async def _values(
    conn: Conn, actor: UserRec, spec: TriggerInput
) -> tuple[Scope, store.TriggerValues]:
    required = {
        "scopeType": spec.scope_type,
        "scopeID": spec.scope_id,
        "triggeringEventType": spec.event_type,
        "triggeredActionType": spec.action_type,
    }
    missing = [field for field, value in required.items() if not value]
    if missing:
        raise InvalidInput(f"an automation needs {', '.join(missing)}")
    assert spec.scope_type and spec.scope_id and spec.event_type and spec.action_type
    scope = await _managed_scope(conn, actor, spec.scope_type, spec.scope_id)
    _check_event_and_scope(spec.event_type, spec.scope_type)
    event_filter = _event_filter(spec.event_type, spec.event_filter or "{}")
    config, integration_id = await _action(
        conn, actor, scope, spec.action_type, spec.action_config or {}
    )
    values = store.TriggerValues(
        name=_check_name(spec.name),
        description=spec.description,
        enabled=True if spec.enabled is None else spec.enabled,
        scope_type=spec.scope_type,
        scope_id=scope.collection_id or scope.project.id,
        event_type=spec.event_type,
        event_filter=event_filter,
        action_type=spec.action_type,
        action_config=config,
        integration_id=integration_id,
    )
    return scope, values


async def create_trigger(uow: UnitOfWork, actor: UserRec, spec: TriggerInput) -> store.TriggerRec:
    async with uow.write() as tx:
        scope, values = await _values(tx.conn, actor, spec)
        try:
            return await store.create_trigger(tx.conn, scope.project.entity_id, values, actor.id)
        except StoreConflict:
            raise Conflict(f"automation {values.name!r} already exists") from None


async def _trigger(conn: Conn, actor: UserRec, global_id: str) -> store.TriggerRec:
    try:
        pk = decode_id(global_id, "Trigger")
    except InvalidId:
        raise InvalidInput(f"invalid automation id {global_id!r}") from None
    trigger = await store.trigger_by_id(conn, pk)
    if trigger is None or not await trigger_visible_to(conn, actor, trigger):
        raise TriggerNotFound(f"automation {global_id!r} not found")
    return trigger


async def update_trigger(
    uow: UnitOfWork, actor: UserRec, trigger_id: str, changes: TriggerInput
) -> store.TriggerRec:
    async with uow.write() as tx:
        trigger = await _trigger(tx.conn, actor, trigger_id)
        current = await _current_input(tx.conn, trigger)
        spec = replace(current, **{k: v for k, v in vars(changes).items() if v is not None})
        # The old scope must be managed by the actor too, not only the new one.
        await _managed_scope(tx.conn, actor, current.scope_type or "", current.scope_id or "")
        scope, values = await _values(tx.conn, actor, spec)
        try:
            return await store.update_trigger(tx.conn, trigger.id, scope.project.entity_id, values)
        except StoreConflict:
            raise Conflict(f"automation {values.name!r} already exists") from None


async def _current_input(conn: Conn, trigger: store.TriggerRec) -> TriggerInput:
    """A stored trigger in the shape of the API's input (for updates that keep fields)."""
    type_name = "Project" if trigger.scope_type == "PROJECT" else "ArtifactCollection"
    config = json.loads(trigger.action_config)
    if trigger.integration_id is not None:
        config["integrationID"] = encode_id("Integration", trigger.integration_id)
    return TriggerInput(
        name=trigger.name,
        description=trigger.description,
        enabled=trigger.enabled,
        scope_type=trigger.scope_type,
        scope_id=encode_id(type_name, trigger.scope_id),
        event_type=trigger.event_type,
        event_filter=json.dumps(saved_filter(trigger.event_type, trigger.event_filter)),
        action_type=trigger.action_type,
        action_config={ACTIONS[trigger.action_type]: config},
    )


async def delete_trigger(uow: UnitOfWork, actor: UserRec, trigger_id: str) -> None:
    async with uow.write() as tx:
        trigger = await _trigger(tx.conn, actor, trigger_id)
        scope = await trigger_scope(tx.conn, trigger)
        if scope is not None:
            await auth.check(tx.conn, actor, auth.Action.DELETE_AUTOMATION, scope.project)
        await store.delete_trigger(tx.conn, trigger.id)


async def trigger_scope(conn: Conn, trigger: store.TriggerRec) -> Scope | None:
    """The trigger's scope, None when it has been deleted."""
    if trigger.scope_type == "PROJECT":
        project = await projects.project_by_id(conn, trigger.scope_id)
        return Scope(project) if project else None
    collection = await artifacts.collection_by_id(conn, trigger.scope_id)
    project = await projects.project_by_id(conn, collection.project_id) if collection else None
    return Scope(project, trigger.scope_id) if project and collection else None


async def trigger_visible_to(conn: Conn, actor: UserRec, trigger: store.TriggerRec) -> bool:
    scope = await trigger_scope(conn, trigger)
    return scope is not None and await auth.allows(
        conn, actor, auth.Action.VIEW_PROJECT, scope.project
    )


async def visible_triggers(
    conn: Conn, actor: UserRec, triggers: list[store.TriggerRec], name: str | None = None
) -> list[store.TriggerRec]:
    return [
        trigger
        for trigger in triggers
        if (name is None or trigger.name == name) and await trigger_visible_to(conn, actor, trigger)
    ]


async def project_triggers(
    conn: Conn, actor: UserRec, project: ProjectRec
) -> list[store.TriggerRec]:
    """Triggers scoped to the project and to its collections (what Project.triggers lists)."""
    scoped = await store.triggers_of_entity(conn, project.entity_id)
    mine = []
    for trigger in scoped:
        scope = await trigger_scope(conn, trigger)
        if scope is not None and scope.project.id == project.id:
            mine.append(trigger)
    return await visible_triggers(conn, actor, mine)


async def projects_of_user(conn: Conn, user: UserRec) -> list[ProjectRec]:
    """The projects and registries of the user's own entity, teams and organizations."""
    entity_ids = [user.entity_id]
    entity_ids += [team.id for team in await accounts.teams_of_user(conn, user.id)]
    entity_ids += [
        org.org_entity_id
        for org in await accounts.orgs_of_user(conn, user.id)
        if org.org_entity_id is not None
    ]
    found = []
    for entity_id in dict.fromkeys(entity_ids):
        for project in await projects.projects_of_entity(conn, entity_id):
            if await auth.allows(conn, user, auth.Action.VIEW_PROJECT, project):
                found.append(project)
    return found


def trigger_global_id(trigger: store.TriggerRec) -> str:
    return encode_id("Trigger", trigger.id)


def integration_global_id(integration: store.IntegrationRec) -> str:
    return encode_id("Integration", integration.id)
