"""Automation fields of other types (Entity, Organization, Project, User); their return
types are imported lazily, these modules import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from ...domain import automations as domain
from ...filters import parse_filter
from ...store import accounts
from ...store import automations as store
from ...store.automations import TriggerRec
from ..context import Info
from ..pagination import paginate
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


def trigger_page(
    info: Info, triggers: list[TriggerRec], first: int | None, after: str | None
) -> TriggerConnection:
    from .types import Trigger, TriggerConnection, TriggerEdge

    page = paginate(triggers, first, after, info.context.config.max_page_size)
    return TriggerConnection(
        edges=[TriggerEdge(node=Trigger(rec=rec), cursor=cursor) for cursor, rec in page.items],
        page_info=page.page_info,
        total_count=page.total_count,
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
    page = paginate(integrations, first, after, ctx.config.max_page_size)
    return IntegrationConnection(
        edges=[
            IntegrationEdge(node=integration_of(rec), cursor=cursor) for cursor, rec in page.items
        ],
        page_info=page.page_info,
        total_count=page.total_count,
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
    if root.rec.id != ctx.viewer.id:
        return ProjectConnection(
            edges=[], page_info=paginate([], 0, None, 1).page_info, total_count=0
        )
    async with ctx.db.read() as conn:
        visible = await domain.projects_of_user(conn, root.rec)
    page = paginate(visible, first, after, ctx.config.max_page_size)
    return ProjectConnection(
        edges=[ProjectEdge(node=Project(rec=rec), cursor=cursor) for cursor, rec in page.items],
        page_info=page.page_info,
        total_count=page.total_count,
    )
