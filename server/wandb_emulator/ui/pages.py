"""The pages at the URLs the SDK prints, the home page, and signing in and out."""

from __future__ import annotations

from starlette.responses import Response

from ..domain.reads import accounts
from ..records import CollectionRec
from . import contents, links
from .contents import NotFound, Place
from .view import View

# --------------------------------------------------------------- signing in


async def login_form(view: View) -> Response:
    return view.render("login.html", next=_next_target(view), error=None)


async def login(view: View) -> Response:
    form = await view.form()
    target = form.get("next") or "/"
    user = await accounts.user_by_api_key(view.emulator.db, form.get("api_key", "").strip())
    if user is None:
        view.viewer = None
        return view.render("login.html", status=401, next=target, error="No user has this API key.")
    view.replace_session(view.session.signed_in(user.id))
    return view.redirect(target if links.is_local_path(target) else "/")


async def logout(view: View) -> Response:
    await view.form()
    view.replace_session(view.session.signed_out_copy())
    view.viewer = None
    return view.redirect("/")


def _next_target(view: View) -> str:
    target = view.request.query_params.get("next", "/")
    return target if links.is_local_path(target) else "/"


# -------------------------------------------------------------------- pages


async def home(view: View) -> Response:
    if view.viewer is None:
        return view.render("home.html", home=None)
    found = await contents.home(view.reads)
    return view.render("home.html", home=found)


async def org(view: View) -> Response:
    row = await contents.org_page(view.reads, view.request.path_params["org"])
    return view.render("org.html", row=row)


async def registry(view: View) -> Response:
    """`/orgs/<org>/registry/<name>`: the registry, or with `selectionPath` one of its
    collections, or with `version` (view=membership) one of that collection's versions."""
    reads, params = view.reads, view.request.path_params
    place = await contents.registry_place(reads, params["org"], params["name"])
    if "selectionPath" not in view.request.query_params:
        found = await contents.registry_page(reads, place)
        return view.render("registry.html", page=found)
    return await _selection(view, place)


async def model_registry(view: View) -> Response:
    """The legacy model registry: `/<entity>/registry/model`, the entity's model-registry
    project, with the same `selectionPath`/`version` parameters."""
    entity = view.request.path_params["entity"]
    place = await contents.visible_place(view.reads, entity, links.MODEL_REGISTRY_PROJECT)
    if "selectionPath" not in view.request.query_params:
        found = await contents.project_page(view.reads, place)
        return view.render("project.html", page=found)
    return await _selection(view, place)


async def _selection(view: View, place: Place) -> Response:
    query = view.request.query_params
    collection = await contents.collection_by_selection(view.reads, place, query["selectionPath"])
    version = query.get("version")
    if version and query.get("view", "membership") == "membership":
        return await _version(view, place, collection, version)
    return await _collection(view, place, collection)


async def _version(view: View, place: Place, collection: CollectionRec, version: str) -> Response:
    found = await contents.version_page(view.reads, view.emulator.urls, place, collection, version)
    return view.render("version.html", page=found)


async def _collection(view: View, place: Place, collection: CollectionRec) -> Response:
    after = view.request.query_params.get("after") or None
    found = await contents.collection_page(view.reads, place, collection, after)
    return view.render("collection.html", page=found, after=after)


async def _path_place(view: View) -> Place:
    params = view.request.path_params
    return await contents.visible_place(view.reads, params["entity"], params["project"])


async def _path_collection(view: View) -> tuple[Place, CollectionRec]:
    place, params = await _path_place(view), view.request.path_params
    return place, await contents.named_collection(view.reads, place, params["name"], params["type"])


async def project(view: View) -> Response:
    found = await contents.project_page(view.reads, await _path_place(view))
    return view.render("project.html", page=found)


async def artifact_collection(view: View) -> Response:
    return await _collection(view, *await _path_collection(view))


async def artifact_version(view: View) -> Response:
    """`/<entity>/<project>/artifacts/<type>/<name>/<version>` (`vN`, an alias or a digest)."""
    place, collection = await _path_collection(view)
    return await _version(view, place, collection, view.request.path_params["version"])


async def run(view: View) -> Response:
    place = await _path_place(view)
    found = await contents.run_page(
        view.reads, view.emulator.urls, place, view.request.path_params["run"]
    )
    return view.render("run.html", page=found)


async def sweep(view: View) -> Response:
    raise NotFound("sweeps are not emulated: the emulator keeps no sweeps to show")
