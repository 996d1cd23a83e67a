"""The permission matrix, actor x action, measured against a running server and printed
as a table (the README's Security section explains it)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import CONTROL_HEADERS, DEFAULT_KEY, OrgSetup, log_artifacts

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
        return httpx.get(url, auth=self.auth(key), timeout=10).status_code == 200

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
