"""Fresh users, organizations and teams for tests, with random names so that tests (and
xdist workers) sharing an emulator never meet. Each is made by one seed document, so the
same helper serves every way of running an emulator (`EmulatorHandle.accounts`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Seed = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class EmulatorUser:
    """A user; its API key is its username. `organization` (with its org entity, when
    known) and `team`: the ones it was made a member of, if any."""

    username: str
    api_key: str
    base_url: str
    organization: str | None = None
    org_entity: str | None = None
    team: str | None = None

    @property
    def environ(self) -> dict[str, str]:
        """The variables that point the wandb SDK at the emulator as this user."""
        return {
            "WANDB_BASE_URL": self.base_url,
            "WANDB_API_KEY": self.api_key,
            "WANDB_ENTITY": self.team or self.username,
            "WANDB_USERNAME": self.username,
        }

    def api(self, **overrides: Any) -> Any:
        """A `wandb.Api` for this user, whatever the environment says."""
        import wandb

        return wandb.Api(api_key=self.api_key, overrides={"base_url": self.base_url, **overrides})


def random_name(prefix: str, hex_chars: int = 12) -> str:
    return f"{prefix}-{secrets.token_hex(hex_chars // 2)}"


def org_entity_of(organization: str) -> str:
    """The org entity's name of an organization these helpers make."""
    return f"{organization}-entity"


def _admin(user_name: str) -> list[dict[str, str]]:
    return [{"username": user_name, "role": "admin"}]


def _org_spec(name: str, members: list[dict[str, str]]) -> dict[str, Any]:
    return {"name": name, "orgEntityName": org_entity_of(name), "members": members}


def _team_spec(name: str, organization: str, members: list[dict[str, str]]) -> dict[str, Any]:
    return {"name": name, "organization": organization, "members": members}


class Accounts:
    """Makes accounts on one emulator through its `seed`."""

    def __init__(self, seed: Seed, base_url: str) -> None:
        self._seed = seed
        self._base_url = base_url

    def user(self) -> EmulatorUser:
        """A fresh user in no organization; its default entity is its own."""
        username = _username()
        self._seed({"users": [{"username": username}]})
        return EmulatorUser(username, username, self._base_url)

    def org_admin(self, *, default_entity: Literal["team", "user"] = "team") -> EmulatorUser:
        """A fresh user, admin of a fresh organization and of a team in it (its default
        entity: the team, or its own)."""
        username, organization, team = _username(), random_name("org"), random_name("team")
        user: dict[str, str] = {"username": username}
        if default_entity == "team":
            user["defaultEntity"] = team
        self._seed(
            {
                "users": [user],
                "organizations": [_org_spec(organization, _admin(username))],
                "teams": [_team_spec(team, organization, _admin(username))],
            }
        )
        org_entity = org_entity_of(organization)
        return EmulatorUser(username, username, self._base_url, organization, org_entity, team)

    def member(self, organization: str, role: str = "member") -> EmulatorUser:
        """A fresh user with `role` in an existing organization."""
        username = _username()
        member = [{"username": username, "role": role}]
        self._seed(
            {
                "users": [{"username": username}],
                "organizations": [{"name": organization, "members": member}],
            }
        )
        return EmulatorUser(username, username, self._base_url, organization)

    def org(self, owner: EmulatorUser) -> str:
        """A fresh organization that `owner` administers."""
        name = random_name("org")
        self._seed({"organizations": [_org_spec(name, _admin(owner.username))]})
        return name

    def add_org_member(self, organization: str, user: EmulatorUser, role: str) -> None:
        member = [{"username": user.username, "role": role}]
        self._seed({"organizations": [{"name": organization, "members": member}]})

    def team(self, organization: str, owner: EmulatorUser) -> str:
        """A fresh team of an existing organization that `owner` administers."""
        name = random_name("team")
        self._seed({"teams": [_team_spec(name, organization, _admin(owner.username))]})
        return name


def _username() -> str:
    return random_name("user", 40)  # API keys shorter than 40 characters are refused
