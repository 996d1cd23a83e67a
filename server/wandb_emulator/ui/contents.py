"""What each page shows, read through the domain's read API (`domain/reads`, the
functions the GraphQL API uses) for the signed-in viewer: whatever the viewer may not
see is reported as not found, exactly as the API does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import auth, history
from ..domain.reads import accounts, artifacts, collections, projects, runs
from ..domain.reads.collections import CollectionSummary
from ..domain.reads.session import ReadSession
from ..domain.versions import VersionDetails
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


async def place_of(reads: ReadSession, project: ProjectRec) -> Place:
    entity, org = await projects.location(reads, project)
    return Place(entity, project, org)


async def visible_place(reads: ReadSession, entity_name: str, name: str) -> Place:
    project = await projects.project_named(reads, entity_name, name)
    if project is None:
        raise NotFound(f"project {entity_name}/{name} not found")
    return await place_of(reads, project)


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


async def _registries(reads: ReadSession, org: OrganizationRec) -> list[RegistryRow]:
    if org.org_entity_id is None:
        return []
    visible = await projects.visible_projects_of(reads, org.org_entity_id, auth.REGISTRY_PREFIX)
    counts = await collections.collection_counts(reads, [p.id for p in visible], ["PORTFOLIO"])
    return [RegistryRow(await place_of(reads, p), counts.get(p.id, 0)) for p in visible]


async def _org_row(reads: ReadSession, org: OrganizationRec) -> OrgRow:
    role = await accounts.viewer_org_role(reads, org) or ""
    return OrgRow(org, role, await _registries(reads, org))


async def home(reads: ReadSession) -> Home:
    orgs = [
        await _org_row(reads, org) for org in await accounts.organizations_of(reads, reads.viewer)
    ]
    entities = [await reads.loaders.entity.load(reads.viewer.entity_id)]
    entities += await accounts.viewer_teams(reads)
    places = []
    for entity in entities:
        if entity is None:
            continue
        for project in await projects.visible_projects_of(reads, entity.id):
            places.append(Place(entity, project, None))
    return Home(orgs, places)


async def org_page(reads: ReadSession, org_name: str) -> OrgRow:
    org = await accounts.organization(reads, name=org_name)
    if org is None:
        raise NotFound(f"organization {org_name} not found")
    return await _org_row(reads, org)


# ------------------------------------------------------------- registries


@dataclass(frozen=True)
class CollectionRow(CollectionSummary):
    url: str


@dataclass(frozen=True)
class RegistryPage:
    place: Place
    role: str
    allowed_types: list[str] | None  # None: every type is allowed
    user_members: list[tuple[UserRec, RegistryRole]]
    team_members: list[tuple[EntityRec, RegistryRole]]
    collections: list[CollectionRow]


async def registry_place(reads: ReadSession, org_name: str, name: str) -> Place:
    entity = await accounts.org_entity(reads, org_name)
    if entity is None:
        raise NotFound(f"organization {org_name} not found")
    place = await visible_place(reads, entity.name, auth.REGISTRY_PREFIX + name)
    if not place.is_registry:
        raise NotFound(f"registry {name} not found")
    return place


async def collection_rows(
    reads: ReadSession, place: Place, kinds: list[CollectionKind]
) -> list[CollectionRow]:
    return [
        CollectionRow(**vars(c), url=place.collection_url(c.rec, c.type_name))
        for c in await collections.collection_summaries(reads, place.project, kinds)
    ]


async def registry_page(reads: ReadSession, place: Place) -> RegistryPage:
    project = place.project
    return RegistryPage(
        place=place,
        role=await projects.viewer_role(reads, project) or "",
        allowed_types=await projects.allowed_type_names(reads, project),
        user_members=await projects.user_members(reads, project),
        team_members=await projects.team_members(reads, project),
        collections=await collection_rows(reads, place, ["PORTFOLIO"]),
    )


# ------------------------------------------------------------- collections


@dataclass(frozen=True)
class VersionRow(VersionDetails):
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


async def collection_by_selection(
    reads: ReadSession, place: Place, selection: str
) -> CollectionRec:
    """The collection a `selectionPath` (`entity/project/collection`) names in `place`."""
    entity_name, _, rest = selection.partition("/")
    project_name, _, name = rest.partition("/")
    if (entity_name, project_name) != (place.entity.name, place.project.name):
        raise NotFound(f"collection {selection} not found in {place.project.name}")
    return await named_collection(reads, place, name, None)


async def named_collection(
    reads: ReadSession, place: Place, name: str, type_name: str | None
) -> CollectionRec:
    collection = await artifacts.project_collection(reads, place.project, name)
    if collection is None or (
        type_name is not None
        and await artifacts.artifact_type_name(reads, collection.type_id) != type_name
    ):
        raise NotFound(f"artifact collection {name} not found")
    return collection


def _version_rows(
    place: Place, collection: CollectionRec, type_name: str, found: list[VersionDetails]
) -> list[VersionRow]:
    return [
        VersionRow(
            **vars(v),
            url=place.collection_url(collection, type_name, f"v{v.membership.version_index}"),
        )
        for v in found
    ]


async def collection_page(
    reads: ReadSession,
    place: Place,
    collection: CollectionRec,
    after: str | None,
    limit: int = VERSIONS_PER_PAGE,
) -> CollectionPage:
    """The collection with one keyset page of its versions, newest first: the API's own
    listing of memberships, so the pages read `limit + 1` rows however deep they are."""
    type_name = await artifacts.artifact_type_name(reads, collection.type_id)
    page: list[MembershipRec] = []
    next_cursor = None
    if limit:
        try:
            rows = await collections.versions_of_collection(
                reads, collection, None, "-version", limit, after
            )
        except FilterError as exc:
            raise NotFound(str(exc)) from None
        page = [m for _, m in rows.items]
        next_cursor = rows.items[-1][0] if rows.page_info.has_next_page else None
    aliases = [
        Link(
            f"{alias.alias} → v{index}",
            place.collection_url(collection, type_name, f"v{index}"),
        )
        for alias, index in await artifacts.alias_versions(reads, collection)
    ]
    return CollectionPage(
        place=place,
        rec=collection,
        type_name=type_name,
        tags=await artifacts.collection_tag_names(reads, collection),
        aliases=aliases,
        version_count=await artifacts.version_count(reads, collection),
        versions=_version_rows(
            place, collection, type_name, await collections.versions(reads, page)
        ),
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


async def _version_link(reads: ReadSession, collection_id: int, version_index: int) -> Link | None:
    """A link to a version of a collection, if the viewer may see the collection's project."""
    found = await artifacts.collection_with_project(reads, collection_id)
    if found is None:
        return None
    collection, project = found
    place = await place_of(reads, project)
    type_name = await artifacts.artifact_type_name(reads, collection.type_id)
    version = f"v{version_index}"
    label = f"{place.entity.name}/{project.name}/{collection.name}:{version}"
    return Link(label, place.collection_url(collection, type_name, version))


async def artifact_link(reads: ReadSession, artifact: ArtifactRec) -> Link | None:
    """A link to an artifact's version in its source collection, if the viewer may see it."""
    index = await artifacts.source_version_index(reads, artifact)
    return None if index is None else await _version_link(reads, artifact.sequence_id, index)


async def _linked_in(reads: ReadSession, artifact: ArtifactRec) -> list[Link]:
    """The portfolios (registry collections) holding the artifact that the viewer may see."""
    found = []
    for membership in await artifacts.artifact_memberships(reads, artifact):
        if membership.collection_id != artifact.sequence_id:
            link = await _version_link(reads, membership.collection_id, membership.version_index)
            found.extend([link] if link else [])
    return found


async def run_link(reads: ReadSession, run_id: int | None) -> Link | None:
    """A link to the run with this id, if the viewer may see its project."""
    found = None if run_id is None else await runs.visible_run(reads, run_id)
    return None if found is None else await _run_link(reads, *found)


async def _run_link(reads: ReadSession, run: RunRec, project: ProjectRec | None) -> Link | None:
    if project is None:
        return None
    place = await place_of(reads, project)
    label = f"{place.entity.name}/{project.name}/{run.display_name or run.name}"
    return Link(label, links.run(place.entity.name, project.name, run.name))


def artifact_files(urls: Urls, found: list[ArtifactFileRec], downloadable: bool) -> list[FileRow]:
    return [
        FileRow(
            name=f.name,
            size=f.size,
            digest=f.digest or f.md5,
            url=(urls.file(f, f.name) or f.ref) if downloadable else None,
        )
        for f in found
    ]


async def version_page(
    reads: ReadSession, urls: Urls, place: Place, collection: CollectionRec, version: str
) -> VersionPage:
    membership = await artifacts.membership_named(reads, collection, version)
    if membership is None:
        raise NotFound(f"version {version} of {collection.name} not found")
    overview = await collection_page(reads, place, collection, None, limit=0)
    details = await collections.versions(reads, [membership])
    row = _version_rows(place, collection, overview.type_name, details)[0]
    artifact = row.artifact
    downloadable = await artifacts.may_download(reads, artifact)
    source = None
    if artifact.sequence_id != collection.id:
        source = await artifact_link(reads, artifact)
    used_by = [
        await _run_link(reads, run, await projects.visible_project_by_id(reads, run.project_id))
        for run in await artifacts.runs_using(reads, artifact)
    ]
    return VersionPage(
        collection=overview,
        row=row,
        metadata=_pretty(artifact.metadata),
        source=source,
        linked_in=await _linked_in(reads, artifact),
        created_by=await run_link(reads, artifact.created_by_run_id),
        used_by=[link for link in used_by if link is not None],
        files=artifact_files(urls, await artifacts.files_of(reads, artifact), downloadable),
        can_download=downloadable,
    )


# -------------------------------------------------------------- projects


@dataclass(frozen=True)
class ProjectPage:
    place: Place
    runs: list[tuple[RunRec, str]]
    collections: list[CollectionRow]


async def project_page(reads: ReadSession, place: Place) -> ProjectPage:
    found = await runs.runs_of_project(reads, place.project)
    return ProjectPage(
        place=place,
        runs=[(r, links.run(place.entity.name, place.project.name, r.name)) for r in found],
        collections=await collection_rows(reads, place, ["SEQUENCE", "PORTFOLIO"]),
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


async def run_page(reads: ReadSession, urls: Urls, place: Place, run_name: str) -> RunPage:
    run = await runs.project_run(reads, place.project, run_name)
    if run is None:
        raise NotFound(f"run {run_name} not found in {place.project.name}")
    output = await runs.lines(reads, run, "output")
    logged = [
        await artifact_link(reads, a) for a in await artifacts.artifacts_logged_by(reads, run)
    ]
    used = [await artifact_link(reads, a) for a in await artifacts.artifacts_used_by(reads, run)]
    return RunPage(
        place=place,
        run=run,
        user=await runs.run_user(reads, run),
        config=config_items(run.config),
        summary=summary_items(run.summary_metrics),
        tags=[t for t in _json_list(run.tags) if isinstance(t, str)],
        charts=metric_charts(await runs.lines(reads, run, "history")),
        output=output[-MAX_OUTPUT_LINES:],
        output_truncated=len(output) > MAX_OUTPUT_LINES,
        alerts=await runs.alerts_of_run(reads, run),
        files=_run_files(urls, await runs.run_files(reads, run)),
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
    return [FileRow(f.name, f.size, f.md5 or "", urls.file(f, f.name)) for f in found]
