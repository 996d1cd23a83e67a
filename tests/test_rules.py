"""The fast tier: permission and naming rules as tables, against a temporary SQLite
database, without a server or the SDK.

Role resolution covers visibility x organization role x the user's own registry role x
the registry role of a team the user is in; the expected roles are written out by hand
(what W&B does), not computed by the rules under test.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from wandb_emulator import auth
from wandb_emulator.domain import accounts as account_rules
from wandb_emulator.domain import registries
from wandb_emulator.domain.errors import InvalidInput, NotFound, PermissionDenied
from wandb_emulator.domain.events import Event, EventBus
from wandb_emulator.domain.organizations import check_org_role
from wandb_emulator.domain.unit import UnitOfWork
from wandb_emulator.naming import check_artifact_type_name, check_name
from wandb_emulator.records import EntityRec, OrganizationRec, ProjectRec, UserRec
from wandb_emulator.store import accounts, projects
from wandb_emulator.store.database import Conn, Database

pytestmark = pytest.mark.fast

T = TypeVar("T")
VISIBILITY_ACCESS = {"organization": "PRIVATE", "restricted": "RESTRICTED"}
TEAM_ROLES = (None, *auth.REGISTRY_ROLES)


@dataclass
class World:
    """One organization with its entity, a registry per visibility, and a team holding
    each registry role in both registries."""

    db: Database
    uow: UnitOfWork
    events: list[Event]
    org: OrganizationRec
    org_entity: EntityRec
    registries: dict[str, ProjectRec]
    teams: dict[str, EntityRec]
    users: int = 0

    async def user(
        self,
        conn: Conn,
        org_role: str | None = None,
        direct: str | None = None,
        team_role: str | None = None,
    ) -> UserRec:
        """A user with these roles in the organization and in both registries."""
        self.users += 1
        user = await accounts.create_user(conn, f"user-{self.users}")
        if org_role is not None:
            await accounts.set_org_member(conn, self.org.id, user.id, org_role)
        for registry in self.registries.values():
            if direct is not None:
                await projects.set_user_member(conn, registry.id, user.id, direct)
        if team_role is not None:
            await accounts.set_team_member(conn, self.teams[team_role].id, user.id, "member")
        return user


def run_in_world(tmp_path: Path, body: Callable[[World], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(tmp_path / "rules.sqlite3")
        await db.open()
        seen: list[Event] = []

        async def record(event: Event) -> None:
            seen.append(event)

        bus = EventBus()
        bus.subscribe(record)
        try:
            async with db.write() as conn:
                org = await accounts.create_organization(conn, "acme", "acme-org")
                assert org.org_entity_id is not None
                org_entity = await accounts.entity_by_id(conn, org.org_entity_id)
                assert org_entity is not None
                made = {
                    visibility: await projects.create_project(
                        conn, org_entity.id, f"wandb-registry-{visibility}", access=access
                    )
                    for visibility, access in VISIBILITY_ACCESS.items()
                }
                teams = {}
                for role in auth.REGISTRY_ROLES:
                    teams[role] = await accounts.create_team(conn, f"team-{role}", org.id)
                    for registry in made.values():
                        await projects.set_team_member(conn, registry.id, teams[role].id, role)
            world = World(db, UnitOfWork(db, bus), seen, org, org_entity, made, teams)
            return await body(world)
        finally:
            await db.close()

    return asyncio.run(main())


# ------------------------------------------------------------ role resolution

ROLE_TABLE = [
    # visibility, org role, own registry role, team's registry role -> effective role
    # outside the organization: nothing, whatever roles are left over
    ("organization", None, None, None, None),
    ("organization", None, "admin", None, None),
    ("restricted", None, None, "member", None),
    # organization admins administer every registry
    ("restricted", "admin", None, None, "admin"),
    ("organization", "admin", "restricted_viewer", None, "admin"),
    # organization members: viewers of organization registries by default
    ("organization", "member", None, None, "viewer"),
    ("organization", "member", "restricted_viewer", None, "restricted_viewer"),
    ("organization", "member", None, "restricted_viewer", "restricted_viewer"),
    ("organization", "member", "member", None, "member"),
    ("organization", "member", None, "admin", "admin"),
    ("organization", "member", "viewer", "member", "member"),
    ("organization", "member", "admin", "restricted_viewer", "admin"),
    # restricted registries: only explicit roles count
    ("restricted", "member", None, None, None),
    ("restricted", "member", "restricted_viewer", None, "restricted_viewer"),
    ("restricted", "member", None, "viewer", "viewer"),
    ("restricted", "member", "member", "admin", "admin"),
    # organization viewers: the registry role decides, writes included
    ("organization", "viewer", None, None, "viewer"),
    ("organization", "viewer", "admin", None, "admin"),
    ("organization", "viewer", None, "member", "member"),
    ("organization", "viewer", "restricted_viewer", None, "restricted_viewer"),
    ("restricted", "viewer", None, None, None),
    ("restricted", "viewer", "member", None, "member"),
    ("restricted", "viewer", None, "restricted_viewer", "restricted_viewer"),
]


def test_registry_role_table(tmp_path: Path) -> None:
    async def body(world: World) -> list[str | None]:
        roles = []
        async with world.db.write() as conn:
            for visibility, org_role, direct, team, _ in ROLE_TABLE:
                user = await world.user(conn, org_role, direct, team)
                roles.append(await auth.project_role(conn, user, world.registries[visibility]))
        return roles

    actual = run_in_world(tmp_path, body)
    mismatches = [
        (row[:4], row[4], got) for row, got in zip(ROLE_TABLE, actual, strict=True) if got != row[4]
    ]
    assert mismatches == []


def test_registry_role_invariants_over_every_combination(tmp_path: Path) -> None:
    """The whole product of visibility x org role x own role x team role."""
    combos = list(
        itertools.product(VISIBILITY_ACCESS, (None, *auth.ORG_ROLES), TEAM_ROLES, TEAM_ROLES)
    )

    async def body(world: World) -> list[str | None]:
        async with world.db.write() as conn:
            return [
                await auth.project_role(
                    conn, await world.user(conn, org_role, direct, team), world.registries[vis]
                )
                for vis, org_role, direct, team in combos
            ]

    for (vis, org_role, direct, team), role in zip(
        combos, run_in_world(tmp_path, body), strict=True
    ):
        explicit = [r for r in (direct, team) if r is not None]
        case = (vis, org_role, direct, team, role)
        if org_role is None:
            assert role is None, case
        elif org_role == "admin":
            assert role == "admin", case
        elif not explicit:
            assert role == ("viewer" if vis == "organization" else None), case
        else:  # the strongest explicit role, for organization viewers too
            assert role == auth.strongest(explicit), case


def test_entity_roles_of_plain_projects(tmp_path: Path) -> None:
    async def body(world: World) -> list[str | None]:
        async with world.db.write() as conn:
            owner, stranger = await world.user(conn), await world.user(conn)
            team_admin, team_member = await world.user(conn), await world.user(conn)
            team = world.teams["member"]
            await accounts.set_team_member(conn, team.id, team_admin.id, "admin")
            await accounts.set_team_member(conn, team.id, team_member.id, "member")
            personal = await projects.create_project(conn, owner.entity_id, "mine")
            shared = await projects.create_project(conn, team.id, "ours")
            return [
                await auth.project_role(conn, owner, personal),
                await auth.project_role(conn, stranger, personal),
                await auth.project_role(conn, team_admin, shared),
                await auth.project_role(conn, team_member, shared),
                await auth.project_role(conn, stranger, shared),
            ]

    assert run_in_world(tmp_path, body) == ["admin", None, "admin", "member", None]


CREATE_TABLE = [
    # org role, team role -> may create in (org entity, team entity), may administer the team
    ("admin", None, (True, False), True),
    ("member", None, (True, False), False),
    ("viewer", None, (False, False), False),
    (None, None, (False, False), False),
    ("member", "member", (True, True), False),
    ("viewer", "admin", (False, True), True),
]


@pytest.mark.parametrize(("org_role", "team_role", "creates", "administers"), CREATE_TABLE)
def test_who_creates_and_administers(
    tmp_path: Path,
    org_role: str | None,
    team_role: str | None,
    creates: tuple[bool, bool],
    administers: bool,
) -> None:
    async def body(world: World) -> tuple[tuple[bool, bool], bool]:
        team = world.teams["viewer"]
        async with world.db.write() as conn:
            user = await world.user(conn, org_role)
            if team_role is not None:
                await accounts.set_team_member(conn, team.id, user.id, team_role)
            create = auth.Action.CREATE_PROJECTS_IN
            return (
                await auth.allows(conn, user, create, world.org_entity),
                await auth.allows(conn, user, create, team),
            ), await auth.allows(conn, user, auth.Action.ADMINISTER_TEAM, team)

    assert run_in_world(tmp_path, body) == (creates, administers)


def test_the_gate_words_invisible_and_refused(tmp_path: Path) -> None:
    async def body(world: World) -> list[str]:
        registry = world.registries["restricted"]
        write, rename = auth.Action.WRITE_PROJECT, auth.Action.RENAME_PROJECT
        messages = []
        async with world.db.write() as conn:
            outsider = await world.user(conn)
            viewer = await world.user(conn, "member", "viewer")
            admin = await world.user(conn, "admin")
            for user, error in ((outsider, NotFound), (viewer, PermissionDenied)):
                with pytest.raises(error) as caught:
                    await auth.check(conn, user, write, registry)
                messages.append(str(caught.value))
            with pytest.raises(NotFound) as caught:
                await auth.check(conn, admin, write, None)
            messages.append(str(caught.value))
            with pytest.raises(NotFound) as caught:
                await auth.check(conn, outsider, rename, registry, named="gone")
            messages.append(str(caught.value))
            await auth.check(conn, admin, auth.Action.ADMINISTER_PROJECT, registry)
        return messages

    assert run_in_world(tmp_path, body) == [
        "project not found",
        "permission denied: viewer role cannot modify 'wandb-registry-restricted'",
        "project not found",
        "project 'gone' not found",
    ]


# ------------------------------------------------------- domain refusals (fast)


def test_refused_registry_changes_write_and_announce_nothing(tmp_path: Path) -> None:
    async def body(world: World) -> tuple[list[str], list[Event], int]:
        async with world.db.write() as conn:
            org_viewer = await world.user(conn, "viewer")
            registry_viewer = await world.user(conn, "member", "viewer")
        settings = registries.ProjectSettings(description="changed")
        messages = []
        calls = [
            lambda tx: registries.upsert_project(
                tx,
                org_viewer,
                settings,
                entity_name=world.org_entity.name,
                name="wandb-registry-new",
            ),
            lambda tx: registries.upsert_project(
                tx, registry_viewer, settings, project_id=world.registries["restricted"].id
            ),
            lambda tx: registries.delete_project(
                tx, registry_viewer, world.registries["organization"].id
            ),
            lambda tx: registries.add_members(
                tx, registry_viewer, world.registries["restricted"].id, user_ids=[org_viewer.id]
            ),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied) as caught:
                async with world.uow.write() as tx:
                    await call(tx)
            messages.append(str(caught.value))
        async with world.db.read() as conn:
            count = len(await projects.projects_of_entity(conn, world.org_entity.id))
        return messages, world.events, count

    messages, events, count = run_in_world(tmp_path, body)
    assert messages == [
        "permission denied: cannot create projects in 'acme-org'",
        "permission denied: viewer role cannot modify 'wandb-registry-restricted'",
        "permission denied: viewer role cannot modify 'wandb-registry-organization'",
        "permission denied: viewer role cannot modify 'wandb-registry-restricted'",
    ]
    assert events == []
    assert count == 2


# ------------------------------------------------------------------- naming

NAME_TABLE = [
    ("project", "my-project", None),
    ("project", "", "project name cannot be empty"),
    ("project", "   ", "project name cannot be empty"),
    ("team", "a" * 128, None),
    ("team", "a" * 129, "team name must be at most 128 characters"),
    (
        "registry",
        "wandb-registry-a/b",
        "invalid registry name 'wandb-registry-a/b': cannot contain '/'",
    ),
    ("entity", "x:y?", "invalid entity name 'x:y?': cannot contain ':', '?'"),
    ("project", "with space and.dots", None),
]


def _message(check: Callable[[], object]) -> str | None:
    try:
        check()
    except InvalidInput as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(("kind", "name", "error"), NAME_TABLE)
def test_names(kind: str, name: str, error: str | None) -> None:
    assert _message(lambda: check_name(kind, name)) == error
    if error is None:
        assert check_name(kind, name) == name


RULE_TABLE: list[tuple[Callable[[], object], str | None]] = [
    (lambda: check_artifact_type_name("model"), None),
    (lambda: check_artifact_type_name(""), "artifact type name cannot be empty"),
    (
        lambda: check_artifact_type_name("a/b"),
        "invalid artifact type 'a/b': cannot contain '/' or ':'",
    ),
    (lambda: registries.check_access("RESTRICTED", True), None),
    (
        lambda: registries.check_access("USER_READ", True),
        "invalid access 'USER_READ'; expected one of PRIVATE, RESTRICTED",
    ),
    (lambda: registries.check_access("USER_READ", False), None),
    (lambda: registries.check_access(None, True), None),
    (lambda: registries.check_role("restricted_viewer"), None),
    (
        lambda: registries.check_role("owner"),
        "invalid role 'owner'; expected one of restricted_viewer, viewer, member, admin",
    ),
    (lambda: check_org_role("viewer"), None),
    (
        lambda: check_org_role("owner"),
        "invalid organization role 'owner'; expected one of ('admin', 'member', 'viewer')",
    ),
]


@pytest.mark.parametrize(("check", "error"), RULE_TABLE)
def test_rules_table(check: Callable[[], object], error: str | None) -> None:
    assert _message(check) == error


@pytest.mark.parametrize(
    ("local_part", "username"),
    [("Jane.Doe+x", "jane-doe-x"), ("...", "user"), ("bob_1", "bob_1")],
)
def test_usernames_from_emails(local_part: str, username: str) -> None:
    assert account_rules.username_from(local_part) == username


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("wandb-registry-a", "wandb-registry-b", None),
        ("plain", "other", None),
        ("wandb-registry-a", "b", "a registry keeps its wandb-registry- prefix when renamed"),
        ("plain", "wandb-registry-b", "a registry keeps its wandb-registry- prefix when renamed"),
    ],
)
def test_registry_renames_keep_the_prefix(old: str, new: str, error: str | None) -> None:
    project = ProjectRec(1, 1, old, None, None, True, "", "")
    assert _message(lambda: registries.check_rename(project, new)) == error
