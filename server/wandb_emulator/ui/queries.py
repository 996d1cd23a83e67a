"""What the pages show, read through `store/` and filtered by the permission rules of
`auth.py` (the same functions the API uses): whatever the viewer may not see is
reported as not found, exactly as the API does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import auth, history
from ..domain import run_changes, run_history
from ..domain.versions import membership_for_version, version_details
from ..filters import FilterError
from ..records import (
    ArtifactFileRec,
    ArtifactRec,
    CollectionKind,
    CollectionRec,
    EntityRec,
    MembershipRec,
    OrganizationRec,
    ProjectRec,
    RegistryRole,
    RunAlertRec,
    RunFileRec,
    RunRec,
    UserRec,
)
from ..store import accounts, artifacts, listing, projects, runs
from ..store.database import Conn
from ..urls import Urls
from . import links
from .charts import Series, line_chart

VERSIONS_PER_PAGE = 50
CHART_POINTS = 400
MAX_CHARTS = 60
MAX_OUTPUT_LINES = 2000


class NotFound(Exception):
    """The page's subject does not exist or the viewer may not see it."""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Place:
    """Where a project lives: its entity and, for organization entities, the org."""

    entity: EntityRec
    project: ProjectRec
    org: OrganizationRec | None

    @property
    def is_registry(self) -> bool:
        return self.org is not None and auth.is_registry(self.project)

    @property
    def registry_name(self) -> str:
        return self.project.name.removeprefix(auth.REGISTRY_PREFIX)

    @property
    def visibility(self) -> str:
        return "restricted" if self.project.access == auth.RESTRICTED_ACCESS else "organization"

    def selection(self, collection: CollectionRec) -> tuple[str, str, str]:
        return (self.entity.name, self.project.name, collection.name)

    def collection_url(
        self, collection: CollectionRec, type_name: str, version: str | None = None
    ) -> str:
        """The URL of a collection in this project, or of one of its versions."""
        if self.is_registry:
            assert self.org is not None
            return links.registry(
                self.org.name, self.project.name, self.selection(collection), version
            )
        if self.project.name == links.MODEL_REGISTRY_PROJECT:
            return links.model_registry(self.entity.name, self.selection(collection), version)
        names = (self.entity.name, self.project.name, type_name, collection.name)
        return links.collection(*names) if version is None else links.artifact(*names, version)

    @property
    def crumbs(self) -> list[tuple[str, str]]:
        """The breadcrumb trail to this project (org and registry, or entity/project)."""
        if self.is_registry:
            assert self.org is not None
            return [(self.org.name, links.org(self.org.name)), (self.registry_name, self.url)]
        return [(f"{self.entity.name}/{self.project.name}", self.url)]

    @property
    def url(self) -> str:
        if self.is_registry:
            assert self.org is not None
            return links.registry(self.org.name, self.project.name)
        return links.project(self.entity.name, self.project.name)


async def place_of(conn: Conn, project: ProjectRec) -> Place:
    entity = await accounts.entity_by_id(conn, project.entity_id)
    assert entity is not None
    org = None
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org = await accounts.org_by_id(conn, entity.organization_id)
    return Place(entity, project, org)


async def visible_place(conn: Conn, viewer: UserRec, entity_name: str, name: str) -> Place:
    entity = await accounts.entity_by_name(conn, entity_name)
    project = None if entity is None else await projects.project_by_name(conn, entity.id, name)
    if project is None or not await auth.can_view_project(conn, viewer, project):
        raise NotFound(f"project {entity_name}/{name} not found")
    return await place_of(conn, project)


# ------------------------------------------------------------------ home, orgs


@dataclass(frozen=True)
class RegistryRow:
    place: Place
    collection_count: int


@dataclass(frozen=True)
class OrgRow:
    org: OrganizationRec
    role: str
    registries: list[RegistryRow]


@dataclass(frozen=True)
class Home:
    orgs: list[OrgRow]
    projects: list[Place]


async def _registries(conn: Conn, viewer: UserRec, org: OrganizationRec) -> list[RegistryRow]:
    if org.org_entity_id is None:
        return []
    found = await projects.projects_of_entity(conn, org.org_entity_id, auth.REGISTRY_PREFIX)
    visible = [p for p in found if await auth.can_view_project(conn, viewer, p)]
    collections = await artifacts.collections_of_projects(
        conn, [p.id for p in visible], ["PORTFOLIO"]
    )
    counts: dict[int, int] = {}
    for collection in collections:
        counts[collection.project_id] = counts.get(collection.project_id, 0) + 1
    return [RegistryRow(await place_of(conn, p), counts.get(p.id, 0)) for p in visible]


async def _org_row(conn: Conn, viewer: UserRec, org: OrganizationRec) -> OrgRow:
    role = await accounts.org_role(conn, org.id, viewer.id) or ""
    return OrgRow(org, role, await _registries(conn, viewer, org))


async def home(conn: Conn, viewer: UserRec) -> Home:
    orgs = [
        await _org_row(conn, viewer, org) for org in await accounts.orgs_of_user(conn, viewer.id)
    ]
    entities = [await accounts.entity_by_id(conn, viewer.entity_id)]
    entities += await accounts.teams_of_user(conn, viewer.id)
    places = []
    for entity in entities:
        if entity is None:
            continue
        for project in await projects.projects_of_entity(conn, entity.id):
            if await auth.can_view_project(conn, viewer, project):
                places.append(Place(entity, project, None))
    return Home(orgs, places)


async def org_page(conn: Conn, viewer: UserRec, org_name: str) -> OrgRow:
    org = await accounts.org_by_name(conn, org_name)
    if org is None or not await auth.can_view_org(conn, viewer, org):
        raise NotFound(f"organization {org_name} not found")
    return await _org_row(conn, viewer, org)


# ------------------------------------------------------------- registries


@dataclass(frozen=True)
class CollectionRow:
    rec: CollectionRec
    type_name: str
    tags: list[str]
    version_count: int
    url: str


@dataclass(frozen=True)
class RegistryPage:
    place: Place
    role: str
    allowed_types: list[str] | None  # None: every type is allowed
    user_members: list[tuple[UserRec, RegistryRole]]
    team_members: list[tuple[EntityRec, RegistryRole]]
    collections: list[CollectionRow]


async def registry_place(conn: Conn, viewer: UserRec, org_name: str, name: str) -> Place:
    org = await accounts.org_by_name(conn, org_name)
    if org is None or org.org_entity_id is None:
        raise NotFound(f"organization {org_name} not found")
    entity = await accounts.entity_by_id(conn, org.org_entity_id)
    assert entity is not None
    place = await visible_place(conn, viewer, entity.name, auth.REGISTRY_PREFIX + name)
    if not place.is_registry:
        raise NotFound(f"registry {name} not found")
    return place


async def collection_rows(
    conn: Conn, place: Place, kinds: list[CollectionKind]
) -> list[CollectionRow]:
    found = await artifacts.collections_of_projects(conn, [place.project.id], kinds)
    ids = [c.id for c in found]
    types = await artifacts.artifact_types_by_ids(conn, list({c.type_id for c in found}))
    tags = await artifacts.tags_of_collections(conn, ids)
    counts = await artifacts.version_counts(conn, ids)
    return [
        CollectionRow(
            rec=c,
            type_name=types[c.type_id].name,
            tags=[t.name for t in tags.get(c.id, [])],
            version_count=counts[c.id],
            url=place.collection_url(c, types[c.type_id].name),
        )
        for c in found
    ]


async def registry_page(conn: Conn, viewer: UserRec, place: Place) -> RegistryPage:
    project = place.project
    allowed = None
    if not project.allow_all_artifact_types:
        allowed = [
            t.name for t in await projects.artifact_types_of(conn, project.id, allowed_only=True)
        ]
    return RegistryPage(
        place=place,
        role=await auth.project_role(conn, viewer, project) or "",
        allowed_types=allowed,
        user_members=await projects.user_members(conn, project.id),
        team_members=await projects.team_members(conn, project.id),
        collections=await collection_rows(conn, place, ["PORTFOLIO"]),
    )


# ------------------------------------------------------------- collections


@dataclass(frozen=True)
class VersionRow:
    membership: MembershipRec
    artifact: ArtifactRec
    aliases: list[str]
    tags: list[str]
    url: str

    @property
    def version(self) -> str:
        return f"v{self.membership.version_index}"


@dataclass(frozen=True)
class CollectionPage:
    place: Place
    rec: CollectionRec
    type_name: str
    tags: list[str]
    aliases: list[Link]
    version_count: int
    versions: list[VersionRow]
    next_after: str | None  # the keyset cursor of the next page, if there is one
    url: str


async def collection_by_selection(conn: Conn, place: Place, selection: str) -> CollectionRec:
    """The collection a `selectionPath` (`entity/project/collection`) names in `place`."""
    entity_name, _, rest = selection.partition("/")
    project_name, _, name = rest.partition("/")
    if (entity_name, project_name) != (place.entity.name, place.project.name):
        raise NotFound(f"collection {selection} not found in {place.project.name}")
    return await named_collection(conn, place, name, None)


async def named_collection(
    conn: Conn, place: Place, name: str, type_name: str | None
) -> CollectionRec:
    collection = await artifacts.collection_by_name(conn, place.project.id, name)
    if collection is None or (
        type_name is not None
        and await artifacts.artifact_type_name(conn, collection.type_id) != type_name
    ):
        raise NotFound(f"artifact collection {name} not found")
    return collection


async def _version_rows(
    conn: Conn, place: Place, collection: CollectionRec, type_name: str, found: list[MembershipRec]
) -> list[VersionRow]:
    return [
        VersionRow(
            membership=v.membership,
            artifact=v.artifact,
            aliases=v.aliases,
            tags=v.tags,
            url=place.collection_url(collection, type_name, f"v{v.membership.version_index}"),
        )
        for v in await version_details(conn, found)
    ]


async def collection_page(
    conn: Conn,
    place: Place,
    collection: CollectionRec,
    after: str | None,
    limit: int = VERSIONS_PER_PAGE,
) -> CollectionPage:
    """The collection with one keyset page of its versions, newest first: the API's own
    listing of memberships, so the pages read `limit + 1` rows however deep they are."""
    type_name = await artifacts.artifact_type_name(conn, collection.type_id)
    rows = None
    if limit:
        try:
            rows = await listing.page(
                conn,
                artifacts.MEMBERSHIPS,
                artifacts.memberships_where([collection.id]),
                order=listing.Order.parse(artifacts.MEMBERSHIPS, "-version"),
                first=limit,
                after=after,
            )
        except FilterError as exc:
            raise NotFound(str(exc)) from None
    page = [m for _, m in rows.items] if rows else []
    next_cursor = rows.items[-1][0] if rows and rows.has_next else None
    alias_recs = await artifacts.aliases_of_collection(conn, collection.id)
    indexes = {
        m.artifact_id: m.version_index
        for m in [
            await artifacts.membership_of(conn, collection.id, a.artifact_id) for a in alias_recs
        ]
        if m is not None
    }
    aliases = [
        Link(
            f"{a.alias} → v{indexes[a.artifact_id]}",
            place.collection_url(collection, type_name, f"v{indexes[a.artifact_id]}"),
        )
        for a in alias_recs
        if a.artifact_id in indexes
    ]
    tags = await artifacts.tags_of_collections(conn, [collection.id])
    return CollectionPage(
        place=place,
        rec=collection,
        type_name=type_name,
        tags=[t.name for t in tags.get(collection.id, [])],
        aliases=aliases,
        version_count=(await artifacts.version_counts(conn, [collection.id]))[collection.id],
        versions=await _version_rows(conn, place, collection, type_name, page),
        next_after=next_cursor,
        url=place.collection_url(collection, type_name),
    )


# ---------------------------------------------------------------- versions


@dataclass(frozen=True)
class FileRow:
    name: str
    size: int | None
    digest: str
    url: str | None  # a signed download URL, or None when the viewer may not download


@dataclass(frozen=True)
class VersionPage:
    collection: CollectionPage
    row: VersionRow
    metadata: str
    source: Link | None
    linked_in: list[Link]
    created_by: Link | None
    used_by: list[Link]
    files: list[FileRow]
    can_download: bool


def _pretty(text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True)
    except ValueError:
        return text


async def _version_link(
    conn: Conn, viewer: UserRec, collection_id: int, version_index: int
) -> Link | None:
    """A link to a version of a collection, if the viewer may see the collection's project."""
    collection = await artifacts.collection_by_id(conn, collection_id)
    project = (
        None if collection is None else await projects.project_by_id(conn, collection.project_id)
    )
    if (
        collection is None
        or project is None
        or not await auth.can_view_project(conn, viewer, project)
    ):
        return None
    place = await place_of(conn, project)
    type_name = await artifacts.artifact_type_name(conn, collection.type_id)
    version = f"v{version_index}"
    label = f"{place.entity.name}/{project.name}/{collection.name}:{version}"
    return Link(label, place.collection_url(collection, type_name, version))


async def artifact_link(conn: Conn, viewer: UserRec, artifact: ArtifactRec) -> Link | None:
    """A link to an artifact's version in its source collection, if the viewer may see it."""
    index = (await artifacts.sequence_versions(conn, [artifact.id])).get(artifact.id)
    return None if index is None else await _version_link(conn, viewer, artifact.sequence_id, index)


async def _linked_in(conn: Conn, viewer: UserRec, artifact: ArtifactRec) -> list[Link]:
    """The portfolios (registry collections) holding the artifact that the viewer may see."""
    found = []
    for membership in await artifacts.memberships_of_artifact(conn, artifact.id):
        if membership.collection_id != artifact.sequence_id:
            link = await _version_link(
                conn, viewer, membership.collection_id, membership.version_index
            )
            found.extend([link] if link else [])
    return found


async def run_link(conn: Conn, viewer: UserRec, run_id: int | None) -> Link | None:
    run = None if run_id is None else await runs.run_by_id(conn, run_id)
    project = None if run is None else await projects.project_by_id(conn, run.project_id)
    if run is None or project is None or not await auth.can_view_project(conn, viewer, project):
        return None
    place = await place_of(conn, project)
    label = f"{place.entity.name}/{project.name}/{run.display_name or run.name}"
    return Link(label, links.run(place.entity.name, project.name, run.name))


def artifact_files(urls: Urls, found: list[ArtifactFileRec], downloadable: bool) -> list[FileRow]:
    return [
        FileRow(
            name=f.name,
            size=f.size,
            digest=f.digest or f.md5,
            url=(urls.blob(f.blob_key, f.name) if f.blob_key else f.ref) if downloadable else None,
        )
        for f in found
    ]


async def version_page(
    conn: Conn, viewer: UserRec, urls: Urls, place: Place, collection: CollectionRec, version: str
) -> VersionPage:
    membership = await membership_for_version(conn, collection, version)
    if membership is None:
        raise NotFound(f"version {version} of {collection.name} not found")
    overview = await collection_page(conn, place, collection, None, limit=0)
    row = (await _version_rows(conn, place, collection, overview.type_name, [membership]))[0]
    artifact = row.artifact
    downloadable = await auth.can_download_artifact(conn, viewer, artifact)
    source = None
    if artifact.sequence_id != collection.id:
        source = await artifact_link(conn, viewer, artifact)
    used_by = [
        await run_link(conn, viewer, run_id)
        for run_id in await artifacts.runs_using(conn, artifact.id)
    ]
    return VersionPage(
        collection=overview,
        row=row,
        metadata=_pretty(artifact.metadata),
        source=source,
        linked_in=await _linked_in(conn, viewer, artifact),
        created_by=await run_link(conn, viewer, artifact.created_by_run_id),
        used_by=[link for link in used_by if link is not None],
        files=artifact_files(
            urls, await artifacts.files_of_artifact(conn, artifact.id), downloadable
        ),
        can_download=downloadable,
    )


# -------------------------------------------------------------- projects


@dataclass(frozen=True)
class ProjectPage:
    place: Place
    runs: list[tuple[RunRec, str]]
    collections: list[CollectionRow]


async def project_page(conn: Conn, place: Place) -> ProjectPage:
    found = await runs.runs_of_project(conn, place.project.id)
    return ProjectPage(
        place=place,
        runs=[(r, links.run(place.entity.name, place.project.name, r.name)) for r in found],
        collections=await collection_rows(conn, place, ["SEQUENCE", "PORTFOLIO"]),
    )


# ------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Chart:
    key: str
    svg: str
    last: Any


@dataclass(frozen=True)
class RunPage:
    place: Place
    run: RunRec
    user: UserRec | None
    config: list[tuple[str, str]]
    summary: list[tuple[str, str]]
    tags: list[str]
    charts: list[Chart]
    output: list[str]
    output_truncated: bool
    alerts: list[RunAlertRec]
    files: list[FileRow]
    logged: list[Link]
    used: list[Link]


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def config_items(text: str) -> list[tuple[str, str]]:
    """The run's config without the SDK's `_wandb` bookkeeping, `{"value": v}` unwrapped."""
    items = []
    for key, value in sorted(_json_object(text).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, dict) and set(value) <= {"value", "desc"} and "value" in value:
            value = value["value"]
        items.append((key, _shown(value)))
    return items


def summary_items(text: str) -> list[tuple[str, str]]:
    return [(k, _shown(v)) for k, v in sorted(_json_object(text).items()) if not k.startswith("_")]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def metric_charts(lines: list[str]) -> list[Chart]:
    """One chart per numeric metric of the history, against `_step`."""
    rows = history.parse_rows(lines)
    series: dict[str, list[tuple[float, float]]] = {}
    for index, row in enumerate(rows):
        step = row.get(history.STEP, index)
        x = step if _is_number(step) else index
        for key, value in row.items():
            if not key.startswith("_") and _is_number(value):
                series.setdefault(key, []).append((float(x), float(value)))
    charts = []
    for key in sorted(series)[:MAX_CHARTS]:
        points = history.sample(series[key], CHART_POINTS)
        charts.append(Chart(key, line_chart(Series(key, points)), series[key][-1][1]))
    return charts


async def run_page(conn: Conn, viewer: UserRec, urls: Urls, place: Place, run_name: str) -> RunPage:
    run = await runs.run_by_name(conn, place.project.id, run_name)
    if run is None:
        raise NotFound(f"run {run_name} not found in {place.project.name}")
    output = await runs.lines(conn, run.id, "output")
    logged = [
        await artifact_link(conn, viewer, a)
        for a in await artifacts.artifacts_logged_by(conn, run.id)
    ]
    used = [
        await artifact_link(conn, viewer, a)
        for a in await artifacts.artifacts_used_by(conn, run.id)
    ]
    return RunPage(
        place=place,
        run=run,
        user=None if run.user_id is None else await accounts.user_by_id(conn, run.user_id),
        config=config_items(run.config),
        summary=summary_items(run.summary_metrics),
        tags=[t for t in _json_list(run.tags) if isinstance(t, str)],
        charts=metric_charts(await run_history.history_lines(conn, run)),
        output=output[-MAX_OUTPUT_LINES:],
        output_truncated=len(output) > MAX_OUTPUT_LINES,
        alerts=await run_changes.alerts_of_run(conn, run),
        files=_run_files(urls, await runs.run_files(conn, run.id)),
        logged=[link for link in logged if link is not None],
        used=[link for link in used if link is not None],
    )


def _json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _run_files(urls: Urls, found: list[RunFileRec]) -> list[FileRow]:
    return [
        FileRow(f.name, f.size, f.md5 or "", urls.blob(f.blob_key, f.name) if f.blob_key else None)
        for f in found
    ]
