"""Paths of the UI pages, built the way the wandb SDK builds the URLs it prints
(`Settings.run_url`/`project_url`, `Artifact._construct_*_url`), so that every
printed link opens a page here."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from ..auth import REGISTRY_PREFIX

PANEL = "/_emulator/ui"
STATIC = f"{PANEL}/static"
LOGIN = f"{PANEL}/login"
LOGOUT = f"{PANEL}/logout"
MODEL_REGISTRY_PROJECT = "model-registry"


def project(entity: str, project_name: str) -> str:
    return f"/{quote(entity)}/{quote(project_name)}"


def run(entity: str, project_name: str, run_name: str) -> str:
    return f"{project(entity, project_name)}/runs/{quote(run_name, safe='=+&$@')}"


def artifact(entity: str, project_name: str, type_name: str, name: str, version: str) -> str:
    return f"{collection(entity, project_name, type_name, name)}/{quote(version)}"


def collection(entity: str, project_name: str, type_name: str, name: str) -> str:
    return f"{project(entity, project_name)}/artifacts/{quote(type_name)}/{quote(name)}"


def org(org_name: str) -> str:
    return f"/orgs/{quote(org_name)}"


def registry(
    org_name: str,
    project_name: str,
    selection: tuple[str, str, str] | None = None,
    version: str | None = None,
) -> str:
    """`/orgs/<org>/registry/<name>`, with `selectionPath` naming a collection and
    `view=membership&version=vN` one of its versions."""
    short = project_name.removeprefix(REGISTRY_PREFIX)
    path = f"{org(org_name)}/registry/{quote(short)}"
    return path + _selection_query(selection, version)


def model_registry(
    entity: str, selection: tuple[str, str, str] | None = None, version: str | None = None
) -> str:
    return f"/{quote(entity)}/registry/model" + _selection_query(selection, version)


def _selection_query(selection: tuple[str, str, str] | None, version: str | None) -> str:
    if selection is None:
        return ""
    params = {"selectionPath": "/".join(selection)}
    if version is not None:
        params.update(view="membership", version=version)
    return "?" + urlencode(params, quote_via=quote, safe="")


def is_local_path(target: str) -> bool:
    """Whether a `next` target stays on this server (no scheme, no `//host`)."""
    return target.startswith("/") and not target.startswith("//") and "\\" not in target
