"""Automation fields of other types (Entity, Organization, Project, User): the triggers,
integrations and secrets the viewer may see. Records and pages of records."""

from ...domain import automations as domain
from ...filters import parse_filter
from ...records import EntityRec, OrganizationRec, ProjectRec, UserRec
from ...store import accounts
from ...store import automations as store
from ...store.automations import IntegrationRec, SecretRec, TriggerRec
from ..context import Info
from ..pagination import Page, paginate


def _name_filter(filters: str | None) -> str | None:
    """The automation name of a `{"name": ...}` filter (the only filter the SDK sends)."""
    name = parse_filter(filters).get("name")
    if isinstance(name, dict):
        name = name.get("$eq")
    return name if isinstance(name, str) else None


async def entity_triggers(
    info: Info,
    entity: EntityRec,
    first: int | None,
    after: str | None,
    order: str | None,
    filters: str | None,
) -> Page[TriggerRec]:
    """The automations of the entity's projects, registries and collections the viewer sees."""
    ctx = info.context
    async with ctx.db.read() as conn:
        triggers = await store.triggers_of_entity(conn, entity.id)
        visible = await domain.visible_triggers(conn, ctx.viewer, triggers, _name_filter(filters))
    if order and order.lstrip("+-") == "name":
        visible.sort(key=lambda rec: rec.name, reverse=order.startswith("-"))
    return paginate(visible, first, after, ctx.config.max_page_size)


async def org_triggers(
    info: Info,
    org: OrganizationRec,
    first: int | None,
    after: str | None,
    order: str | None,
    filters: str | None,
) -> Page[TriggerRec]:
    """The automations of the organization's registries (its org entity)."""
    org_entity_id = org.org_entity_id
    async with info.context.db.read() as conn:
        entity = await accounts.entity_by_id(conn, org_entity_id) if org_entity_id else None
    if entity is None:
        return paginate([], first, after, info.context.config.max_page_size)
    return await entity_triggers(info, entity, first, after, order, filters)


async def project_triggers(info: Info, project: ProjectRec) -> list[TriggerRec]:
    ctx = info.context
    async with ctx.db.read() as conn:
        return await domain.project_triggers(conn, ctx.viewer, project)


async def entity_integrations(
    info: Info, entity: EntityRec, first: int | None, after: str | None
) -> Page[IntegrationRec]:
    ctx = info.context
    async with ctx.db.read() as conn:
        integrations = await domain.entity_integrations(conn, ctx.viewer, entity)
    return paginate(integrations, first, after, ctx.config.max_page_size)


async def entity_secrets(info: Info, entity: EntityRec) -> list[SecretRec]:
    """The entity's secrets, for its admins (only their names are ever shown)."""
    ctx = info.context
    async with ctx.db.read() as conn:
        if not await domain.can_manage_entity(conn, ctx.viewer, entity):
            return []
        return await store.secrets_of_entity(conn, entity.id)


async def viewer_projects(
    info: Info, user: UserRec, first: int | None, after: str | None
) -> Page[ProjectRec]:
    """The projects and registries of every entity the user belongs to (the legacy
    automation listing walks these); the viewer's own only."""
    ctx = info.context
    visible: list[ProjectRec] = []
    if user.id == ctx.viewer.id:
        async with ctx.db.read() as conn:
            visible = await domain.projects_of_user(conn, user)
    return paginate(visible, first, after, ctx.config.max_page_size)
