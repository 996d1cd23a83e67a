"""The web UI in-process: every route's HTML, sign-in, CSRF, permissions and escaping.

The app runs inside the test (`InProcessEmulator`: no socket); the world it shows is
written through `store/` (see ui_world.py). The real SDK drives the browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from ui_world import HOSTILE, WEIGHTS, World, build_world

from wandb_emulator.app import Emulator
from wandb_emulator.config import Config
from wandb_emulator.testing import InProcessEmulator
from wandb_emulator.ui import links
from wandb_emulator.ui.charts import Series, line_chart
from wandb_emulator.ui.contents import config_items, metric_charts
from wandb_emulator.ui.session import COOKIE, is_loopback

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Ui:
    in_process: InProcessEmulator
    world: World

    @property
    def client(self) -> httpx.Client:
        return self.in_process.client

    @property
    def emulator(self) -> Emulator:
        return self.in_process.emulator

    def csrf(self) -> str:
        match = CSRF.search(self.client.get(links.LOGIN).text)
        assert match is not None
        return match.group(1)

    def sign_in(self, api_key: str) -> None:
        response = self.client.post(
            links.LOGIN, data={"api_key": api_key, "csrf": self.csrf(), "next": "/"}
        )
        assert response.status_code == 303, response.text

    def page(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("text/html")
        return response.text

    def registry_url(self, name: str, collection: str | None = None, version: str | None = None):
        selection = (
            None
            if collection is None
            else (self.world.org_entity, f"wandb-registry-{name}", collection)
        )
        return links.registry(self.world.org, f"wandb-registry-{name}", selection, version)


def _ui(tmp_path: Path, **config: object) -> Iterator[Ui]:
    base = Config(host="0.0.0.0", public_url="http://emulator.test")
    with InProcessEmulator(tmp_path / "data", replace(base, **config)) as in_process:  # type: ignore[arg-type]
        yield Ui(in_process, in_process.call(build_world(in_process.emulator)))


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[Ui]:
    yield from _ui(tmp_path)


@pytest.fixture
def alice(ui: Ui) -> Ui:
    ui.sign_in("alice-key")
    return ui


@pytest.fixture
def admin(ui: Ui) -> Ui:
    """Signed in as the default seed's user, an instance admin (the panel is for them)."""
    key = ui.emulator.default_user_key()
    assert key is not None
    ui.sign_in(key)
    return ui


# ---------------------------------------------------------------- signing in


def test_anonymous_visitors_are_sent_to_the_sign_in_form(ui: Ui) -> None:
    assert "Sign in to see" in ui.page("/")
    run_url = links.run("acme-team", "vision", "run-1")
    response = ui.client.get(run_url)
    assert response.status_code == 303
    assert response.headers["location"] == f"{links.LOGIN}?next={quote(run_url, safe='')}"


def test_signing_in_sets_a_signed_http_only_lax_cookie_and_goes_to_next(ui: Ui) -> None:
    target = links.run("acme-team", "vision", "run-1")
    response = ui.client.post(
        links.LOGIN, data={"api_key": "alice-key", "csrf": ui.csrf(), "next": target}
    )
    assert response.status_code == 303
    assert response.headers["location"] == target
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Signed in as <strong>alice</strong>" in ui.page(target)


def test_a_tampered_session_cookie_signs_nobody_in(alice: Ui) -> None:
    value = alice.client.cookies[COOKIE]
    alice.client.cookies.set(COOKIE, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert "Sign in to see" in alice.page("/")


def test_a_wrong_key_is_refused_and_an_off_site_next_is_ignored(ui: Ui) -> None:
    response = ui.client.post(links.LOGIN, data={"api_key": "nope", "csrf": ui.csrf()})
    assert response.status_code == 401
    assert "No user has this API key" in response.text
    response = ui.client.post(
        links.LOGIN, data={"api_key": "bob-key", "csrf": ui.csrf(), "next": "//evil.test/x"}
    )
    assert response.headers["location"] == "/"


def test_forms_without_the_csrf_token_are_refused(ui: Ui) -> None:
    ui.csrf()  # the visitor has a session, but the form does not carry its token
    response = ui.client.post(links.LOGIN, data={"api_key": "alice-key"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    response = ui.client.post(links.LOGIN, data={"api_key": "alice-key", "csrf": "forged"})
    assert response.status_code == 403
    ui.sign_in(ui.emulator.default_user_key() or "")
    assert ui.client.post(f"{links.PANEL}/reset", data={}).status_code == 403


def test_signing_out_ends_the_session(alice: Ui) -> None:
    response = alice.client.post(links.LOGOUT, data={"csrf": CSRF.search(alice.page("/")).group(1)})
    assert response.status_code == 303
    assert "Sign in to see" in alice.page("/")


def test_loopback_servers_sign_the_default_user_in_until_they_sign_out(tmp_path: Path) -> None:
    for ui in _ui(tmp_path, host="127.0.0.1", public_url=None):
        assert "Signed in as <strong>emulator</strong>" in ui.page("/")
        token = CSRF.search(ui.page("/")).group(1)  # type: ignore[union-attr]
        ui.client.post(links.LOGOUT, data={"csrf": token})
        assert "Sign in to see" in ui.page("/")


def test_a_loopback_server_published_elsewhere_signs_nobody_in(tmp_path: Path) -> None:
    for ui in _ui(tmp_path, host="127.0.0.1", public_url="https://wandb.example.com"):
        assert "Sign in to see" in ui.page("/")


def test_only_loopback_addresses_count_as_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")
    assert not is_loopback("example.com")


# ------------------------------------------------------------ home, orgs


def test_home_lists_organizations_registries_and_projects(alice: Ui) -> None:
    html = alice.page("/")
    assert 'href="/orgs/acme"' in html
    assert f'href="{alice.registry_url("models")}"' in html
    assert f'href="{alice.registry_url("secret")}"' in html
    assert 'href="/acme-team/vision"' in html


def test_a_restricted_registry_is_invisible_to_non_members(ui: Ui) -> None:
    ui.sign_in("bob-key")
    assert "secret" not in ui.page("/")
    assert "secret" not in ui.page("/orgs/acme")
    assert "not found" in ui.page(ui.registry_url("secret"), 404)
    assert "models" in ui.page(ui.registry_url("models"))


def test_outsiders_see_neither_the_org_nor_its_registries(ui: Ui) -> None:
    ui.sign_in("carol-key")
    assert "acme" not in ui.page("/")
    ui.page("/orgs/acme", 404)
    ui.page(ui.registry_url("models"), 404)
    ui.page(links.run("acme-team", "vision", "run-1"), 404)


def test_org_page_lists_its_registries(alice: Ui) -> None:
    html = alice.page("/orgs/acme")
    assert "Organization acme" in html and "restricted" in html
    assert alice.page("/orgs/acme/registry") == html


# ------------------------------------------------------------ registries


def test_registry_page_shows_description_visibility_types_members_and_collections(
    alice: Ui,
) -> None:
    html = alice.page(alice.registry_url("models"))
    assert f"Production models {ESCAPED}" in html
    assert ">organization</span>" in html
    assert '<span class="chip tag">model</span>' in html
    assert "<td>bob</td><td>user</td><td>viewer</td>" in html
    collection_url = alice.registry_url("models", "prod-net")
    assert f'<a href="{collection_url}">prod-net</a>' in html.replace("&amp;", "&")
    assert '<span class="chip tag">vision</span>' in html


def test_selection_path_opens_the_collection_with_its_versions_and_aliases(alice: Ui) -> None:
    html = alice.page(alice.registry_url("models", "prod-net")).replace("&amp;", "&")
    assert "prod-net" in html and "linked versions" in html
    version_url = alice.registry_url("models", "prod-net", "v0")
    assert f'<a href="{version_url}">v0</a>' in html
    assert '<span class="chip ">production</span>' in html
    assert "production → v0" in html


def test_a_selection_path_outside_the_registry_is_not_found(alice: Ui) -> None:
    url = links.registry("acme", "wandb-registry-models", ("acme-team", "vision", "net"))
    alice.page(url, 404)


def test_registry_version_page_shows_lineage_metadata_and_signed_downloads(alice: Ui) -> None:
    html = alice.page(alice.registry_url("models", "prod-net", "v0"))
    assert "prod-net:v0" in html
    assert "production" in html and "&#34;accuracy&#34;: 0.93" in html
    source = links.artifact("acme-team", "vision", "model", "net", "v0")
    assert f'href="{source}">acme-team/vision/net:v0</a>' in html
    assert f'href="{links.run("acme-team", "vision", "run-1")}">acme-team/vision/{ESCAPED}' in html
    assert f'href="{links.run("acme-team", "vision", "run-2")}"' in html
    download = re.search(r'href="(http://emulator\.test/storage/blob/[^"]+)"', html)
    assert download is not None
    response = alice.client.get(download.group(1).removeprefix("http://emulator.test"))
    assert response.status_code == 200 and response.content == WEIGHTS


def test_restricted_viewers_see_files_but_get_no_download_links(ui: Ui) -> None:
    async def demote_bob() -> None:
        from wandb_emulator.store import accounts, projects

        async with ui.emulator.db.write() as conn:
            bob = await accounts.user_by_username(conn, "bob")
            org = await accounts.org_by_name(conn, "acme")
            registry = await projects.project_by_name(
                conn, org.org_entity_id, "wandb-registry-models"
            )  # type: ignore[union-attr]
            await projects.set_user_member(conn, registry.id, bob.id, "restricted_viewer")  # type: ignore[union-attr]

    ui.in_process.call(demote_bob())
    ui.sign_in("bob-key")
    html = ui.page(ui.registry_url("models", "prod-net", "v0"))
    assert "weights.bin" in html and "/storage/blob/" not in html
    assert "may see these files but not download them" in html


def test_version_parameters_accept_aliases_and_unknown_ones_are_not_found(alice: Ui) -> None:
    assert "prod-net:v0" in alice.page(alice.registry_url("models", "prod-net", "production"))
    alice.page(alice.registry_url("models", "prod-net", "v7"), 404)


def test_keyset_pages_walk_a_long_version_list(alice: Ui) -> None:
    from ui_world import add_version

    async def add_versions() -> None:
        from wandb_emulator.store import accounts, artifacts, projects

        async with alice.emulator.db.write() as conn:
            user = await accounts.user_by_username(conn, "alice")
            team = await accounts.require_entity(conn, "acme-team")
            project = await projects.project_by_name(conn, team.id, "vision")
            sequence = await artifacts.collection_by_name(conn, project.id, "net")  # type: ignore[union-attr]
            for index in range(1, 61):
                await add_version(
                    conn, sequence, user, run_id=None, key="0" * 32, aliases=[], digest=f"d{index}"
                )  # type: ignore[arg-type]

    alice.in_process.call(add_versions())
    collection = links.collection("acme-team", "vision", "model", "net")
    first = alice.page(collection)
    shown = re.findall(r">v(\d+)</a>", first)
    assert shown == [str(i) for i in range(60, 10, -1)]
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older is not None and older.group(1).startswith(f"{collection}?after=")
    second = alice.page(older.group(1).replace("&amp;", "&"))
    assert re.findall(r">v(\d+)</a>", second) == [str(i) for i in range(10, -1, -1)]
    assert "Older versions" not in second and "Newest versions" in second
    alice.page(f"{collection}?after=not-a-cursor", 404)


# ----------------------------------------------------- projects, artifacts, runs


def test_project_page_lists_runs_and_artifacts(alice: Ui) -> None:
    html = alice.page("/acme-team/vision")
    assert f'href="{links.run("acme-team", "vision", "run-1")}">{ESCAPED}</a>' in html
    assert f'href="{links.collection("acme-team", "vision", "model", "net")}">net</a>' in html


def test_artifact_version_urls_accept_versions_and_aliases(alice: Ui) -> None:
    for version in ("v0", "best", "latest"):
        html = alice.page(links.artifact("acme-team", "vision", "model", "net", version))
        assert "net:v0" in html and "best" in html
        assert 'href="/orgs/acme/registry/models?selectionPath=' in html  # linked in
    alice.page(links.artifact("acme-team", "vision", "dataset", "net", "v0"), 404)
    alice.page(links.artifact("acme-team", "vision", "model", "nope", "v0"), 404)


def test_run_page_shows_state_config_summary_charts_output_files_and_artifacts(alice: Ui) -> None:
    html = alice.page(links.run("acme-team", "vision", "run-1"))
    assert f"Run {ESCAPED}" in html and "finished" in html and "exit code 0" in html
    assert '<th scope="row">lr</th><td class="mono">0.01</td>' in html
    assert "_wandb" not in html
    assert '<th scope="row">loss</th><td class="mono">0.1</td>' in html
    assert 'aria-label="loss by step"' in html and 'aria-label="acc by step"' in html
    assert f"said {ESCAPED}" in html
    assert "model.bin</a>" in html
    assert f'href="{links.artifact("acme-team", "vision", "model", "net", "v0")}"' in html
    used = alice.page(links.run("acme-team", "vision", "run-2"))
    assert "acme-team/vision/net:v0" in used
    alice.page(links.run("acme-team", "vision", "nope"), 404)


def test_hostile_names_render_as_text(alice: Ui) -> None:
    for url in (
        "/",
        links.run("acme-team", "vision", "run-1"),
        "/acme-team/vision",
        alice.registry_url("models"),
        alice.registry_url("models", "prod-net"),
        alice.registry_url("models", "prod-net", "v0"),
        links.artifact("acme-team", "vision", "model", "net", "v0"),
    ):
        html = alice.page(url)
        assert "<script>" not in html, url
    assert ESCAPED in alice.page(links.run("acme-team", "vision", "run-1"))


def test_legacy_model_registry_urls_open_the_model_registry_project(alice: Ui) -> None:
    async def model_registry() -> None:
        from ui_world import portfolio_of

        from wandb_emulator.store import accounts, artifacts, projects

        async with alice.emulator.db.write() as conn:
            team = await accounts.require_entity(conn, "acme-team")
            project = await projects.create_project(conn, team.id, "model-registry")
            vision = await projects.project_by_name(conn, team.id, "vision")
            portfolio = await portfolio_of(conn, project.id, "classifier", "model")
            net = await artifacts.collection_by_name(conn, vision.id, "net")  # type: ignore[union-attr]
            found = await artifacts.membership_by_version(conn, net.id, 0)  # type: ignore[union-attr]
            await artifacts.add_membership(conn, portfolio, found.artifact_id)  # type: ignore[union-attr]

    alice.in_process.call(model_registry())
    selection = ("acme-team", "model-registry", "classifier")
    assert "classifier" in alice.page(links.model_registry("acme-team"))
    html = alice.page(links.model_registry("acme-team", selection, "v0"))
    assert "classifier:v0" in html


def test_sweep_urls_say_sweeps_are_not_emulated(alice: Ui) -> None:
    assert "sweeps are not emulated" in alice.page("/acme-team/vision/sweeps/abc", 404)


# ------------------------------------------------------------- routing


def test_pages_do_not_shadow_api_routes_and_are_not_journaled(alice: Ui) -> None:
    alice.in_process.journal.clear()
    alice.page("/acme-team/vision")
    alice.page(links.run("acme-team", "vision", "run-1"))
    assert alice.in_process.journal.entries() == []
    assert alice.client.get("/graphql").status_code == 405
    assert alice.client.get("/storage/upload").status_code == 404  # not a project page
    assert alice.client.get("/ready").status_code == 200
    response = alice.client.get("/artifacts/acme-team/" + "0" * 32)
    assert not response.headers["content-type"].startswith("text/html")
    assert [e.path for e in alice.in_process.journal.entries()] == [
        "/graphql",
        "/storage/upload",
        "/ready",
        "/artifacts/acme-team/" + "0" * 32,
    ]


def test_pages_forbid_inline_scripts_framing_and_caching(ui: Ui) -> None:
    headers = ui.client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_static_assets_are_served_by_the_emulator(ui: Ui) -> None:
    response = ui.client.get(f"{links.STATIC}/ui.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]
    assert "http" not in ui.page("/").split("<main")[0].replace('href="/', "")


# ------------------------------------------------------------- the panel


def test_panel_shows_the_journal_newest_first_filtered_with_details(admin: Ui) -> None:
    key = ("api", admin.emulator.default_user_key() or "")
    admin.client.post("/graphql", json={"query": "query First { viewer { id } }"}, auth=key)
    admin.client.post("/graphql", json={"query": "query Second { viewer { id } }"}, auth=key)
    html = admin.page(links.PANEL)
    assert html.index("<strong>Second</strong>") < html.index("<strong>First</strong>")
    filtered = admin.page(f"{links.PANEL}?operation=First")
    assert "<strong>First</strong>" in filtered and "<strong>Second</strong>" not in filtered
    rows = admin.page(f"{links.PANEL}/journal?operation=Second")
    assert "<strong>Second</strong>" in rows and "<html" not in rows
    assert "Automation deliveries" in html


def test_panel_adds_lists_removes_and_clears_fault_rules(admin: Ui) -> None:
    token = admin.csrf()
    form = {"csrf": token, "operation": "UpsertBucket", "error": f"boom {HOSTILE}", "times": "2"}
    response = admin.client.post(f"{links.PANEL}/faults", data=form)
    assert response.status_code == 303
    (rule,) = admin.in_process.faults.rules()
    assert (rule.operation, rule.error, rule.times) == ("UpsertBucket", f"boom {HOSTILE}", 2)
    html = admin.page(response.headers["location"])
    assert f"boom {ESCAPED}" in html and "The fault rule was added" in html
    bad = admin.client.post(f"{links.PANEL}/faults", data={"csrf": token, "status": "x"})
    assert bad.status_code == 400 and "must be a whole number" in bad.text
    admin.client.post(f"{links.PANEL}/faults/{rule.id}/delete", data={"csrf": token})
    assert admin.in_process.faults.rules() == []
    admin.client.post(f"{links.PANEL}/faults", data={"csrf": token, "path": "/x", "status": "503"})
    admin.client.post(f"{links.PANEL}/faults/clear", data={"csrf": token})
    assert admin.in_process.faults.rules() == []


def test_the_panel_is_for_instance_admins_only(alice: Ui) -> None:
    alice.page(links.PANEL, status=404)
    token = alice.csrf()
    assert alice.client.post(f"{links.PANEL}/reset", data={"csrf": token}).status_code == 404
    assert alice.in_process.faults.rules() == [] and alice.world.org in alice.page("/")


def test_panel_seeds_and_resets(admin: Ui) -> None:
    token = admin.csrf()
    seed = '{"users": [{"username": "dave", "apiKey": "dave-key"}]}'
    assert (
        admin.client.post(f"{links.PANEL}/seed", data={"csrf": token, "seed": seed}).status_code
        == 303
    )
    bad = admin.client.post(f"{links.PANEL}/seed", data={"csrf": token, "seed": "[1]"})
    assert bad.status_code == 400 and "Seed not applied" in bad.text
    response = admin.client.post(f"{links.PANEL}/reset", data={"csrf": token})
    assert response.headers["location"] == f"{links.PANEL}?done=reset"
    csrf = admin.csrf()
    gone = admin.client.post(links.LOGIN, data={"api_key": "alice-key", "csrf": csrf, "next": "/"})
    assert gone.status_code != 303  # alice went with the rest of the state


def test_panel_lists_automation_deliveries_newest_first_and_clears_them(admin: Ui) -> None:
    log = admin.emulator.automations.deliveries
    for name in ("first-hook", HOSTILE):
        delivery = admin.in_process.call(
            log.new(
                automation={"name": name},
                event={"type": "LINK_ARTIFACT"},
                action="GENERIC_WEBHOOK",
                url="http://hook.test/x",
                payload={"version": "v0"},
            )
        )
    delivery.outcome = "failed"
    admin.in_process.call(log.finished(delivery))
    html = admin.page(links.PANEL)
    assert html.index(f"<strong>{ESCAPED}</strong>") < html.index("<strong>first-hook</strong>")
    assert "<td>failed</td>" in html and "LINK_ARTIFACT" in html
    response = admin.client.post(f"{links.PANEL}/deliveries/clear", data={"csrf": admin.csrf()})
    assert response.status_code == 303 and admin.in_process.deliveries(wait=False) == []
    assert "No deliveries yet" in admin.page(links.PANEL)


def test_the_panel_is_off_without_emulator_endpoints(tmp_path: Path) -> None:
    for ui in _ui(tmp_path, emulator_endpoints=False):
        ui.page(links.PANEL, 404)
        assert "not found" not in ui.page("/")  # pages stay
        # ...but never answer for the endpoints left out (a page would say 405)
        assert ui.client.post("/_emulator/reset").status_code == 404
        assert ui.client.get("/_emulator/journal").status_code == 404


# ------------------------------------------------------------- pure helpers


def test_charts_escape_names_and_handle_odd_series() -> None:
    svg = line_chart(Series(HOSTILE, [(0, 1.0), (1, float("nan")), (2, 3.0)]))
    assert "<script>" not in svg and ESCAPED in svg and "<polyline" in svg
    assert "<circle" in line_chart(Series("one", [(5, 2.0)]))
    assert "no data" in line_chart(Series("none", []))


def test_metric_charts_chart_numbers_only_and_config_unwraps_values() -> None:
    lines = [
        '{"_step": 0, "loss": 1, "name": "x", "ok": true}',
        "not json",
        '{"_step": 1, "loss": 0.5}',
    ]
    (chart,) = metric_charts(lines)
    assert chart.key == "loss" and chart.last == 0.5
    assert config_items('{"lr": {"value": 0.1}, "_wandb": {}, "raw": [1]}') == [
        ("lr", "0.1"),
        ("raw", "[1]"),
    ]
