"""The permission matrix, actor x action: through the SDK against a running server (and
printed as a table, the README's Security section explains it), and on the permission
gate itself (`auth.check`/`auth.allows`), actor roles x actions x resources."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import wandb
from conftest import CONTROL_HEADERS, DEFAULT_KEY, OrgSetup, log_artifacts

from wandb_emulator import auth
from wandb_emulator.domain.errors import NotFound, PermissionDenied
from wandb_emulator.records import UserRec
from wandb_emulator.store import accounts, artifacts, bulk, projects
from wandb_emulator.store.database import Conn, Database
from wandb_emulator.testing import Accounts, EmulatorUser, RunningEmulator

ACTORS = [
    "instance admin",
    "org admin",
    "registry member",
    "org member",
    "org viewer",
    "org viewer, registry member",
    "outsider",
    "anonymous",
]
Y, N = "yes", "-"
EXPECTED = {
    # in the order of ACTIONS
    "instance admin": [N, N, Y, N, N, Y, Y, N, Y],
    "org admin": [Y, Y, Y, Y, Y, N, Y, Y, N],
    "registry member": [Y, Y, Y, Y, Y, N, Y, Y, N],
    "org member": [N, N, Y, N, Y, N, Y, Y, N],
    "org viewer": [N, N, Y, N, Y, N, Y, N, N],
    # the registry role decides, whatever the organization role (issue 8, item 10)
    "org viewer, registry member": [Y, Y, Y, Y, Y, N, Y, N, N],
    "outsider": [N, N, Y, N, N, N, N, N, N],
    "anonymous": [N, N, Y, N, N, N, N, N, N],
}
ACTIONS = [
    "see the restricted registry",
    "link into it",
    "fetch a signed file URL",
    "fetch a file by MD5",
    "see a team's org name",
    "search users",
    "look up an org member",
    "create a registry",
    "read the journal",
]


class Scene:
    def __init__(
        self, server: RunningEmulator, org_setup: OrgSetup, accounts: Accounts, tmp_path: Path
    ) -> None:
        self.server, self.org, self.team = server, org_setup.org, org_setup.team
        self.registry = "matrix-" + org_setup.org[-6:]
        admin = org_setup.admin
        registry = admin.api().create_registry(
            self.registry, visibility="restricted", organization=self.org
        )
        log_artifacts(admin, self.team, [("m", "model", {"m.bin": b"matrix bytes"})], tmp_path)
        self.artifact = admin.api().artifact(f"{self.team}/training/m:v0")
        entry = self.artifact.manifest.entries["m.bin"]
        self.md5 = base64.b64decode(entry.digest).hex()
        self.signed_url = next(iter(self.artifact.files())).direct_url
        registry_member = org_setup.member("member")
        registry.add_members(admin.api().user(registry_member.username))
        admin.api().team(self.team).invite(registry_member.username)  # to read the source
        viewer_member = org_setup.member("viewer")
        registry.add_members(admin.api().user(viewer_member.username))
        admin.api().team(self.team).invite(viewer_member.username)
        self.keys: dict[str, str | None] = {
            "instance admin": DEFAULT_KEY,
            "org admin": admin.api_key,
            "registry member": registry_member.api_key,
            "org member": org_setup.member("member").api_key,
            "org viewer": org_setup.member("viewer").api_key,
            "org viewer, registry member": viewer_member.api_key,
            "outsider": accounts.user().api_key,
            "anonymous": None,
        }
        self.lookup_target = org_setup.member("member").username
        self.tmp_path = tmp_path

    def api(self, key: str | None) -> wandb.Api:
        if key is None:
            raise PermissionError("no API key")
        return wandb.Api(api_key=key, overrides={"base_url": self.server.base_url})

    def auth(self, key: str | None) -> tuple[str, str] | None:
        return ("api", key) if key else None

    # each action: True when allowed

    def see_registry(self, key: str | None) -> bool:
        return self.api(key).registry(self.registry, self.org) is not None

    def link(self, key: str | None) -> bool:
        artifact = self.api(key).artifact(f"{self.team}/training/m:v0")
        artifact.link(f"{self.org}/wandb-registry-{self.registry}/c")
        return True

    def signed_url_fetch(self, key: str | None) -> bool:
        return httpx.get(self.signed_url, timeout=10).status_code == 200

    def by_digest(self, key: str | None) -> bool:
        url = f"{self.server.base_url}/artifacts/{self.team}/{self.md5}"
        found = httpx.get(url, auth=self.auth(key), timeout=10, follow_redirects=True)
        return found.status_code == 200

    def org_name(self, key: str | None) -> bool:
        if key is None:
            return False
        query = "query($e: String!) { entity(name: $e) { organization { name } } }"
        data = self.server.graphql(key, query, {"e": self.team}).json().get("data") or {}
        return ((data.get("entity") or {}).get("organization") or {}).get("name") == self.org

    def search(self, key: str | None) -> bool:
        return len(self.api(key).users("user-")) > 0

    def lookup(self, key: str | None) -> bool:
        return self.api(key).user(self.lookup_target) is not None

    def create_registry(self, key: str | None) -> bool:
        name = "made-" + base64.b32encode((key or "x").encode()[-5:]).decode().lower().strip("=")
        self.api(key).create_registry(name, visibility="organization", organization=self.org)
        return True

    def journal(self, key: str | None) -> bool:
        url = f"{self.server.base_url}/_emulator/journal?limit=1"
        return httpx.get(url, auth=self.auth(key), timeout=10).status_code == 200

    def actions(self) -> list[Callable[[str | None], bool]]:
        return [
            self.see_registry,
            self.link,
            self.signed_url_fetch,
            self.by_digest,
            self.org_name,
            self.search,
            self.lookup,
            self.create_registry,
            self.journal,
        ]


def allowed(action: Callable[[str | None], bool], key: str | None) -> bool:
    try:
        return bool(action(key))
    except Exception:  # refused: an SDK error, a missing object, no credentials
        return False


def render(table: dict[str, list[str]]) -> str:
    lines = ["| actor | " + " | ".join(ACTIONS) + " |", "|---" * (len(ACTIONS) + 1) + "|"]
    lines += [f"| {actor} | " + " | ".join(cells) + " |" for actor, cells in table.items()]
    return "\n".join(lines)


def test_permission_matrix(
    server: RunningEmulator,
    org_setup: OrgSetup,
    accounts: Accounts,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scene = Scene(server, org_setup, accounts, tmp_path)
    table = {
        actor: [Y if allowed(action, scene.keys[actor]) else N for action in scene.actions()]
        for actor in ACTORS
    }
    with capsys.disabled():
        print("\n" + render(table))
    Path("/tmp/wandb-emulator-permission-matrix.md").write_text(render(table) + "\n")
    assert table == EXPECTED
    assert CONTROL_HEADERS  # the control token is a separate actor: see test_control_access
    assert isinstance(scene.keys["outsider"], str) and EmulatorUser


# ------------------------------------------------------------ the gate itself

A = auth.Action
OK, REFUSED, HIDDEN = "y", "n", "h"  # allowed, PermissionDenied, NotFound

# Each column: an action on one resource of the world below. "R" is a restricted registry
# and "O" an organization-visible one, both in organization `acme`; "team" a team of acme
# with a project; the version is logged in the team's project and linked into R; the
# target user is a member of acme.
GATE_COLUMNS: list[tuple[auth.Action, str]] = [
    (A.VIEW_PROJECT, "R"),
    (A.WRITE_PROJECT, "R"),
    (A.ADMINISTER_PROJECT, "R"),
    (A.MANAGE_AUTOMATIONS, "R"),
    (A.VIEW_PROJECT, "O"),
    (A.WRITE_PROJECT, "O"),
    (A.CREATE_PROJECTS_IN, "acme's entity"),
    (A.CREATE_TEAMS_IN, "acme"),
    (A.VIEW_ORGANIZATION, "acme"),
    (A.ADMINISTER_TEAM, "team"),
    (A.VIEW_TEAM_MEMBERS, "team"),
    (A.MANAGE_SECRETS, "team"),
    (A.WRITE_INTO_PROJECT, "team's project"),
    (A.VIEW_ARTIFACT, "version"),
    (A.DOWNLOAD_ARTIFACT, "version"),
    (A.LOOK_UP_USER, "target user"),
    (A.UPDATE_USER, "target user"),
    (A.SEARCH_USERS, "-"),
    (A.CREATE_USERS, "-"),
    (A.CONTROL_EMULATOR, "-"),
]
# Written out by hand from the rules (README, Permissions), not computed by them: one
# letter per column, in groups: R (view, write, administer, automations) | O (view,
# write) | acme (create projects in its entity, create teams, know it) | team (administer,
# list members, secrets, write into its project) | version (view, download) | target user
# (look up, update) | instance (search users, create users, control the emulator).
GATE_EXPECTED: dict[str, str] = {
    "instance admin": "hhhh hh nnh nhhh hn ny yyy",
    "org admin": "yyyy yy yyy yyhh yy yn nnn",
    "org member": "hhhh yn yyy nyhh hn yn nnn",
    "org viewer": "hhhh yn nny nyhh hn yn nnn",
    "registry admin": "yyyy yy yyy nyhh yy yn nnn",
    "registry member": "yynn yy yyy nyhh yy yn nnn",
    "registry viewer": "ynnn yn yyy nyhh yy yn nnn",
    "restricted viewer": "ynnn yn yyy nyhh yn yn nnn",
    "org viewer, registry member": "yynn yy nny nyhh yy yn nnn",
    "team admin": "hhhh yn yyy yyyy yy yn nnn",
    "team member": "hhhh yn yyy nyny yy yn nnn",
    "outsider": "hhhh hh nnh nhhh hn nn nnn",
}
# actor: (instance admin, org role, registry role in R and O, team role)
GATE_ACTORS: dict[str, tuple[bool, str | None, str | None, str | None]] = {
    "instance admin": (True, None, None, None),
    "org admin": (False, "admin", None, None),
    "org member": (False, "member", None, None),
    "org viewer": (False, "viewer", None, None),
    "registry admin": (False, "member", "admin", None),
    "registry member": (False, "member", "member", None),
    "registry viewer": (False, "member", "viewer", None),
    "restricted viewer": (False, "member", "restricted_viewer", None),
    "org viewer, registry member": (False, "viewer", "member", None),
    "team admin": (False, "member", None, "admin"),
    "team member": (False, "member", None, "member"),
    "outsider": (False, None, None, None),
}


@dataclass
class GateWorld:
    resources: dict[str, Any]
    actors: dict[str, UserRec]


async def _gate_world(conn: Conn) -> GateWorld:
    org = await accounts.create_organization(conn, "acme", "acme-org")
    assert org.org_entity_id is not None
    org_entity = await accounts.entity_by_id(conn, org.org_entity_id)
    assert org_entity is not None
    restricted = await projects.create_project(
        conn, org_entity.id, "wandb-registry-r", access="RESTRICTED"
    )
    visible = await projects.create_project(conn, org_entity.id, "wandb-registry-o")
    team = await accounts.create_team(conn, "team", org.id)
    team_project = await projects.create_project(conn, team.id, "training")
    target = await accounts.create_user(conn, "target")
    await accounts.set_org_member(conn, org.id, target.id, "member")
    actors = {}
    for name, (admin, org_role, registry_role, team_role) in GATE_ACTORS.items():
        user = await accounts.create_user(
            conn, name.replace(" ", "-").replace(",", ""), admin=admin
        )
        if org_role is not None:
            await accounts.set_org_member(conn, org.id, user.id, org_role)
        for registry in (restricted, visible) if registry_role else ():
            await projects.set_user_member(conn, registry.id, user.id, registry_role)
        if team_role is not None:
            await accounts.set_team_member(conn, team.id, user.id, team_role)
        actors[name] = user
    portfolio = await bulk.linked_versions(
        conn,
        source_project_id=team_project.id,
        registry_project_id=restricted.id,
        type_name="model",
        sequence_name="model",
        portfolio_name="models",
        count=1,
        user_id=target.id,
    )
    latest = await artifacts.membership_by_alias(conn, portfolio.id, artifacts.LATEST)
    assert latest is not None
    resources = {
        "R": restricted,
        "O": visible,
        "acme's entity": org_entity,
        "acme": org,
        "team": team,
        "team's project": team_project,
        "version": await artifacts.artifact_by_id(conn, latest.artifact_id),
        "target user": target,
        "-": None,
    }
    return GateWorld(resources, actors)


def _resource(world: GateWorld, action: auth.Action, name: str) -> Any:
    """The resource as the action's rule takes it (an id where the rule wants one)."""
    found = world.resources[name]
    if action is A.VIEW_ORGANIZATION:
        return found.id
    if action is A.UPDATE_USER:
        return found.id
    return found


async def _verdict(conn: Conn, actor: UserRec, action: auth.Action, resource: Any) -> str:
    try:
        await auth.check(conn, actor, action, resource, named="it")
    except NotFound:
        return HIDDEN
    except PermissionDenied:
        return REFUSED
    return OK


@pytest.mark.fast
def test_the_gate_decides_the_matrix(tmp_path: Path) -> None:
    """auth.check on every actor x (action, resource) cell; auth.allows agrees with it."""

    async def main() -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
        db = Database(tmp_path / "gate.sqlite3")
        await db.open()
        try:
            async with db.write() as conn:
                world = await _gate_world(conn)
            table, disagreements = {}, []
            async with db.read() as conn:
                for name, actor in world.actors.items():
                    row = []
                    for action, resource_name in GATE_COLUMNS:
                        resource = _resource(world, action, resource_name)
                        verdict = await _verdict(conn, actor, action, resource)
                        if (verdict == OK) != await auth.allows(conn, actor, action, resource):
                            disagreements.append((name, action.name, resource_name))
                        row.append(verdict)
                    table[name] = row
            return table, disagreements
        finally:
            await db.close()

    table, disagreements = asyncio.run(main())
    mismatches = [
        (actor, action.name, resource, expected, got)
        for actor, row in table.items()
        for (action, resource), expected, got in zip(
            GATE_COLUMNS, GATE_EXPECTED[actor].replace(" ", ""), row, strict=True
        )
        if expected != got
    ]
    assert mismatches == []
    assert disagreements == []


@pytest.mark.fast
def test_every_action_has_a_rule() -> None:
    assert set(auth.RULES) == set(auth.Action)
