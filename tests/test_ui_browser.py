"""The web UI in a real browser (headless Chromium through Selenium), after the real SDK
has logged runs and linked versions: the URLs the SDK prints open the right pages,
navigation works by clicking, a restricted registry stays invisible, downloads yield the
logged bytes. Screenshots of each main page go to test-artifacts/ui/ (or $UI_ARTIFACTS_DIR).

`UI_SCREENSHOTS_TO_DOCS=1` also writes the README's screenshots to docs/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import write_files

from wandb_emulator.testing import Accounts, EmulatorUser, RunningEmulator
from wandb_emulator.testing.accounts import random_name
from wandb_emulator.ui import links

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR", REPO / "test-artifacts" / "ui"))
DOCS = REPO / "docs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MODEL_BYTES = b"weights of a tiny classifier\n" * 40
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _require_chromium() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but chromium/chromedriver are missing; .ci/run installs them")
    pytest.skip(
        "headless Chromium is not installed (apt-get install chromium chromium-driver);"
        " CI installs it and runs these tests"
    )


@dataclass(frozen=True)
class Logged:
    """What the SDK logged, and the URLs it printed for it."""

    admin: EmulatorUser
    member: EmulatorUser
    outsider: EmulatorUser
    org: str
    team: str
    run_name: str
    run_url: str
    project_url: str
    source_url: str
    linked_url: str
    consumer_url: str


@pytest.fixture(scope="module")
def logged(
    server: RunningEmulator, accounts: Accounts, tmp_path_factory: pytest.TempPathFactory
) -> Logged:
    _require_chromium()
    import wandb

    admin = accounts.user()
    org = accounts.org(admin)
    team = accounts.team(org, admin)
    member = accounts.user()
    accounts.add_org_member(org, member, "member")
    api = admin.api()
    api.create_registry(
        "models",
        "organization",
        organization=org,
        description="Models in use",
        artifact_types=["model", "dataset"],
    )
    api.create_registry("vault", "restricted", organization=org, description="Keep out")
    settings = wandb.Settings(api_key=admin.api_key, base_url=admin.base_url, silent=True)
    files = write_files(tmp_path_factory.mktemp("model"), {"model.bin": MODEL_BYTES})
    run_name = random_name("train")
    with wandb.init(
        entity=team, project="ui-demo", name=run_name, config={"lr": 0.01}, settings=settings
    ) as run:
        for step in range(30):
            run.log({"loss": 1 / (step + 1), "accuracy": step / 30})
        print("training finished")
        artifact = wandb.Artifact("classifier", type="model", metadata={"layers": 3})
        artifact.add_dir(str(files))
        run.log_artifact(artifact, aliases=["candidate"]).wait()
        linked = run.link_artifact(
            artifact, "wandb-registry-models/prod-classifier", aliases=["production"]
        )
        run_url, project_url = run.url, run.project_url
    settings = wandb.Settings(api_key=admin.api_key, base_url=admin.base_url, silent=True)
    with wandb.init(
        entity=team, project="ui-demo", name="evaluate", job_type="eval", settings=settings
    ) as run:
        used = run.use_artifact(f"{team}/ui-demo/classifier:candidate")
        consumer_url = run.url
    assert run_url and project_url and linked.url and used.url
    collection = linked.collection
    collection.tags = ["vision", "reviewed"]
    collection.save()
    return Logged(
        admin=admin,
        member=member,
        outsider=accounts.user(),
        org=org,
        team=team,
        run_name=run_name,
        run_url=run_url,
        project_url=project_url,
        source_url=used.url,
        linked_url=linked.url,
        consumer_url=consumer_url,
    )


@pytest.fixture(scope="module")
def browsers() -> Iterator[Callable[[], object]]:
    """Fresh headless Chromium sessions (each its own profile); all closed at the end."""
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opened = []

    def open_browser():  # type: ignore[no-untyped-def]
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM  # type: ignore[assignment]
        for flag in (*CHROME_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
            options.add_argument(flag)
        options.add_argument("--window-size=1280,1000")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        driver.set_page_load_timeout(30)
        opened.append(driver)
        return driver

    yield open_browser
    for driver in opened:
        driver.quit()


def sign_in(driver, base_url: str, account: EmulatorUser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.get(base_url + links.LOGIN)
    driver.find_element(By.ID, "api_key").send_keys(account.api_key)
    _wait_for_new_page(
        driver, lambda: driver.find_element(By.CSS_SELECTOR, "form.stack button").click()
    )
    assert f"Signed in as {account.username}" in driver.find_element(By.TAG_NAME, "header").text


def _wait_for_new_page(driver, action: Callable[[], None]) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    action()

    def old_page_gone(_driver: object) -> bool:
        # Stale, or, while Chromium swaps the document, "unhandled inspector error: Node
        # with given id does not exist" (a WebDriverException, not a stale reference).
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 15).until(old_page_gone)


def click(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    """Follow the link whose text is `text` (inside the page's main content)."""
    from selenium.webdriver.common.by import By

    link = driver.find_element(By.CSS_SELECTOR, "main").find_element(By.LINK_TEXT, text)
    _wait_for_new_page(driver, link.click)


def heading(driver) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "h1").text


def main_text(driver) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "main").text


def screenshot(driver, name: str, *, docs: bool = False) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return window.outerWidth")
    driver.set_window_size(width, min(max(height + 120, 700), 4000))
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path))
    if docs and os.environ.get("UI_SCREENSHOTS_TO_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / f"ui-{name}.png")
    driver.set_window_size(1280, 1000)
    return path


def test_every_url_the_sdk_printed_opens_the_right_page(
    logged: Logged, browsers: Callable[[], object], server: RunningEmulator
) -> None:
    driver = browsers()
    sign_in(driver, server.base_url, logged.admin)

    driver.get(logged.run_url)
    assert heading(driver) == f"Run {logged.run_name}"
    text = main_text(driver)
    assert "finished" in text and "training finished" in text and "lr" in text
    assert "loss" in text and "accuracy" in text
    assert "classifier:v0" in text
    screenshot(driver, "run", docs=True)

    driver.get(logged.project_url)
    assert heading(driver) == f"Project {logged.team}/ui-demo"
    assert logged.run_name in main_text(driver)
    screenshot(driver, "project")

    driver.get(logged.linked_url)
    assert heading(driver) == "prod-classifier:v0"
    text = main_text(driver)
    assert "production" in text and "layers" in text and logged.run_name in text
    assert f"{logged.team}/ui-demo/evaluate" in text  # used by
    assert f"{logged.team}/ui-demo/classifier:v0" in text
    screenshot(driver, "version")

    driver.get(logged.source_url)
    assert heading(driver) == "classifier:v0"
    assert "candidate" in main_text(driver) and "prod-classifier:v0" in main_text(driver)

    driver.get(logged.consumer_url)
    assert heading(driver) == "Run evaluate"
    assert f"{logged.team}/ui-demo/classifier:v0" in main_text(driver)


def test_click_through_home_org_registry_collection_version_run(
    logged: Logged, browsers: Callable[[], object], server: RunningEmulator
) -> None:
    driver = browsers()
    sign_in(driver, server.base_url, logged.admin)
    driver.get(server.base_url + "/")
    screenshot(driver, "home")
    click(driver, logged.org)
    assert heading(driver) == f"Organization {logged.org}"
    click(driver, "models")
    assert heading(driver) == "Registry models"
    text = main_text(driver)
    assert "Models in use" in text and "prod-classifier" in text and "reviewed" in text
    assert "dataset" in text  # an allowed type
    screenshot(driver, "registry", docs=True)
    click(driver, "prod-classifier")
    assert heading(driver).startswith("prod-classifier")
    screenshot(driver, "collection")
    click(driver, "v0")
    assert heading(driver) == "prod-classifier:v0"
    click(driver, f"{logged.team}/ui-demo/{logged.run_name}")
    assert heading(driver) == f"Run {logged.run_name}"
    assert driver.current_url == logged.run_url


def test_a_restricted_registry_is_invisible_to_outsiders_and_non_members(
    logged: Logged, browsers: Callable[[], object], server: RunningEmulator
) -> None:
    admin = browsers()
    sign_in(admin, server.base_url, logged.admin)
    admin.get(f"{server.base_url}/orgs/{logged.org}")
    assert "vault" in main_text(admin)
    for account in (logged.member, logged.outsider):
        driver = browsers()
        sign_in(driver, server.base_url, account)
        driver.get(server.base_url + "/")
        assert "vault" not in main_text(driver)
        driver.get(f"{server.base_url}/orgs/{logged.org}/registry/vault")
        assert heading(driver) == "Not found"
    member = browsers()
    sign_in(member, server.base_url, logged.member)
    member.get(f"{server.base_url}/orgs/{logged.org}")
    assert "models" in main_text(member) and "vault" not in main_text(member)


@pytest.mark.local_blobs  # a bucket's download links are presigned bucket URLs
def test_a_download_link_yields_the_logged_bytes(
    logged: Logged, browsers: Callable[[], object], server: RunningEmulator
) -> None:
    from selenium.webdriver.common.by import By

    driver = browsers()
    sign_in(driver, server.base_url, logged.admin)
    driver.get(logged.linked_url)
    href = driver.find_element(By.LINK_TEXT, "model.bin").get_attribute("href")
    assert href is not None and "/storage/blob/" in href
    fetched = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer())"
        ".then(b => done(Array.from(new Uint8Array(b))));",
        href,
    )
    assert bytes(fetched) == MODEL_BYTES
    assert httpx.get(href, timeout=10).content == MODEL_BYTES


def test_pages_fit_a_phone_screen(
    logged: Logged, browsers: Callable[[], object], server: RunningEmulator
) -> None:
    driver = browsers()
    sign_in(driver, server.base_url, logged.admin)
    driver.set_window_size(390, 844)
    for url in (
        logged.run_url,
        logged.linked_url,
        f"{server.base_url}/orgs/{logged.org}/registry/models",
    ):
        driver.get(url)
        wide = driver.execute_script(
            "const w = document.documentElement.clientWidth;"
            "return Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right > w + 1)"
            ".filter(e => !(e.parentElement && e.parentElement.closest('.table-wrap')))"
            ".map(e => e.tagName + '.' + e.className).slice(0, 5);"
        )
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px on a phone: {wide}"
    driver.get(f"{server.base_url}/orgs/{logged.org}/registry/models")
    assert driver.save_screenshot(str(ARTIFACTS / "registry-phone.png"))


def test_the_panel_shows_the_sdk_requests(
    logged: Logged, browsers: Callable[[], object], server: RunningEmulator
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browsers()
    driver.get(f"{server.base_url}{links.PANEL}?operation=UpsertBucket")
    rows = driver.find_elements(By.CSS_SELECTOR, "#journal-rows details")
    assert rows, "no UpsertBucket request in the journal"
    rows[0].find_element(By.TAG_NAME, "summary").click()
    assert "Variables" in rows[0].text
    screenshot(driver, "panel")
    driver.get(f"{server.base_url}{links.PANEL}")
    driver.find_element(By.ID, "live").click()  # the panel's script refreshes the journal
    query = {"query": "query LiveCheck { viewer { id } }"}
    httpx.post(f"{server.base_url}/graphql", json=query, auth=("api", logged.admin.api_key))
    WebDriverWait(driver, 15).until(
        lambda d: "LiveCheck" in d.find_element(By.ID, "journal-rows").text
    )
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors  # no blocked script or style, no failed fetch
