"""Automation fields of other types (Entity, Organization, Project, User); their return
types are imported lazily, these modules import each other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from ...domain import automations as domain
from ...filters import parse_filter
from ...store import accounts
from ...store import automations as store
from ...store.automations import TriggerRec
from ..context import Info
from ..pagination import known_count, paginate
from ..scalars import JSONString

if TYPE_CHECKING:
    from ..registries.types import ProjectConnection
    from .types import IntegrationConnection, Secret, Trigger, TriggerConnection

_TYPES = "wandb_emulator.graphql.automations.types"
_Trigger = Annotated["Trigger", strawberry.lazy(_TYPES)]
_TriggerConnection = Annotated["TriggerConnection", strawberry.lazy(_TYPES)]
_IntegrationConnection = Annotated["IntegrationConnection", strawberry.lazy(_TYPES)]
_Secret = Annotated["Secret", strawberry.lazy(_TYPES)]
_ProjectConnection = Annotated[
    "ProjectConnection", strawberry.lazy("wandb_emulator.graphql.registries.types")
]


def _name_filter(filters: str | None) -> str | None:
    """The automation name of a `{"name": ...}` filter (the only filter the SDK sends)."""
    name = parse_filter(filters).get("name")
    if isinstance(name, dict):
        name = name.get("$eq")
    return name if isinstance(name, str) else None


def connection(
    info: Info,
    items: Sequence[Any],
    first: int | None,
    after: str | None,
    node: Callable[[Any], Any],
    edge_type: Any,
    connection_type: Any,
) -> Any:
    """A page of `items` as a Relay connection of `node(item)`s."""
    page = paginate(items, first, after, info.context.config.max_page_size)
    return connection_type(
        edges=[edge_type(node=node(item), cursor=cursor) for cursor, item in page.items],
        page_info=page.page_info,
        counter=known_count(page.total_count),
    )


def trigger_page(
    info: Info, triggers: list[TriggerRec], first: int | None, after: str | None
) -> TriggerConnection:
    from .types import Trigger, TriggerConnection, TriggerEdge

    return connection(
        info, triggers, first, after, lambda rec: Trigger(rec=rec), TriggerEdge, TriggerConnection
    )


async def entity_triggers(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    order: str | None = None,
    filters: JSONString | None = None,
) -> _TriggerConnection:
    """The automations of the entity's projects, registries and collections the viewer sees."""
    ctx = info.context
    async with ctx.db.read() as conn:
        triggers = await store.triggers_of_entity(conn, root.rec.id)
        visible = await domain.visible_triggers(conn, ctx.viewer, triggers, _name_filter(filters))
    if order and order.lstrip("+-") == "name":
        visible.sort(key=lambda rec: rec.name, reverse=order.startswith("-"))
    return trigger_page(info, visible, first, after)


async def org_triggers(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    order: str | None = None,
    filters: JSONString | None = None,
) -> _TriggerConnection:
    """The automations of the organization's registries (its org entity)."""
    from ..orgs.types import Entity

    ctx = info.context
    org_entity_id = root.rec.org_entity_id
    async with ctx.db.read() as conn:
        entity = await accounts.entity_by_id(conn, org_entity_id) if org_entity_id else None
    if entity is None:
        return trigger_page(info, [], first, after)
    return await entity_triggers(Entity(rec=entity), info, first, after, order, filters)


async def project_triggers(root: Any, info: Info) -> list[_Trigger]:
    from .types import Trigger

    ctx = info.context
    async with ctx.db.read() as conn:
        triggers = await domain.project_triggers(conn, ctx.viewer, root.rec)
    return [Trigger(rec=rec) for rec in triggers]


async def entity_integrations(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    before: str | None = None,
    last: int | None = None,
) -> _IntegrationConnection:
    from .types import IntegrationConnection, IntegrationEdge, integration_of

    ctx = info.context
    async with ctx.db.read() as conn:
        integrations = await domain.entity_integrations(conn, ctx.viewer, root.rec)
    return connection(
        info, integrations, first, after, integration_of, IntegrationEdge, IntegrationConnection
    )


async def entity_secrets(root: Any, info: Info) -> list[_Secret]:
    """The names of the entity's secrets, for its admins; never their values."""
    from .types import Secret

    ctx = info.context
    async with ctx.db.read() as conn:
        if not await domain.can_manage_entity(conn, ctx.viewer, root.rec):
            return []
        return [Secret(rec=rec) for rec in await store.secrets_of_entity(conn, root.rec.id)]


async def viewer_projects(
    root: Any, info: Info, first: int | None = None, after: str | None = None
) -> _ProjectConnection:
    """The projects and registries of every entity the user belongs to (the legacy
    automation listing walks these)."""
    from ..registries.types import Project, ProjectConnection, ProjectEdge

    ctx = info.context
    visible = []
    if root.rec.id == ctx.viewer.id:  # the viewer's own projects only
        async with ctx.db.read() as conn:
            visible = await domain.projects_of_user(conn, root.rec)
    return connection(
        info, visible, first, after, lambda rec: Project(rec=rec), ProjectEdge, ProjectConnection
    )
