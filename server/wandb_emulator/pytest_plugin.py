"""pytest plugin of wandb-emulator, active once the package is installed (entry point pytest11).

    def test_model_lands_in_registry(wandb_emulator_user):
        api = wandb.Api()  # the environment points at the emulator, as a fresh user
        api.create_registry("models", visibility="organization")

Fixtures (all prefixed `wandb_emulator`):
- `wandb_emulator_config` (session): the `Config` the session's emulator is built from
  (`Config(log_level="warning")`); override it in a conftest.py to configure it.
- `wandb_emulator` (session): a running emulator for this session, or for this
  xdist worker (`wandb_emulator.testing.RunningEmulator`); `.base_url`, `.journal`,
  `.faults`, `.reset()`, `.seed(doc)`, `.new_user()`, `.accounts`.
- `wandb_emulator_user`: a fresh user, organization and team; sets WANDB_BASE_URL,
  WANDB_API_KEY, WANDB_ENTITY and WANDB_USERNAME for the test, and WANDB_EMULATOR_URL
  and WANDB_EMULATOR_CONTROL_TOKEN (for `wandb-emulator reset|journal|fault|seed`),
  and restores them after. `wandb_emulator.control_headers` authorize /_emulator/*.
- `wandb_emulator_journal`: the request journal, emptied before the test.
- `wandb_emulator_faults`: the fault rules, cleared after the test.
- `wandb_emulator_webhooks`: a webhook receiver on a free loopback port (`.url`,
  `.wait_for(count, timeout)`, `.requests`, `.respond_with(statuses)`) for automations
  to deliver to; deliveries are synchronous during the test (the request that causes an
  event answers after the webhook has been delivered), and the delivery log is emptied
  before it (`wandb_emulator.deliveries()`).

The scaled configuration: a `wandb_emulator_config` with `workers=2` (and a
`database_url` of PostgreSQL, say) starts `wandb-emulator serve --workers 2` as a child
process (`wandb_emulator.testing.EmulatorProcess`) instead: the same `.base_url`,
`.new_user()`, `.seed()`, `.reset()`, `.control_headers`, but the journal, fault rules,
webhooks and snapshot fixtures, which reach into an Emulator in this process, refuse to
run (the journal and faults are at `/_emulator/journal` and `/_emulator/faults`).

Marker `@pytest.mark.wandb_emulator_snapshot("registry.tar")`: the session's emulator
restores that snapshot (a path relative to the test's file, or absolute) before the
test, on a module or class too. Make one with `wandb_emulator.snapshot(path)` or
`wandb-emulator export`.

Nothing is imported or started until a test asks for one of these fixtures.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

SNAPSHOT_MARKER = "wandb_emulator_snapshot"

if TYPE_CHECKING:
    from .config import Config
    from .faults import Faults
    from .journal import Journal
    from .testing import EmulatorProcess, EmulatorUser, RunningEmulator
    from .testing.webhooks import WebhookReceiver


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SNAPSHOT_MARKER}(path): restore this wandb-emulator snapshot (relative to the"
        " test's file) into the session's emulator before the test",
    )


@pytest.fixture(autouse=True)
def _wandb_emulator_snapshot(request: pytest.FixtureRequest) -> None:
    """Restores the snapshot a `wandb_emulator_snapshot` marker names; nothing otherwise."""
    marker = request.node.get_closest_marker(SNAPSHOT_MARKER)
    if marker is None:
        return
    if len(marker.args) != 1:
        raise pytest.UsageError(f"@pytest.mark.{SNAPSHOT_MARKER} takes one path")
    path = request.node.path.parent / marker.args[0]
    in_process(request.getfixturevalue("wandb_emulator"), "a snapshot marker").restore(path)


def in_process(emulator: RunningEmulator | EmulatorProcess, needs: str) -> RunningEmulator:
    """The session's emulator, if it runs in this process (not as `serve --workers N`)."""
    from .testing import RunningEmulator

    if not isinstance(emulator, RunningEmulator):
        raise pytest.UsageError(
            f"{needs} needs the emulator in the test process; this session's runs"
            f" {emulator.config.workers} worker processes (wandb_emulator_config.workers)"
        )
    return emulator


@pytest.fixture(scope="session")
def wandb_emulator_config() -> Config:
    """What the session's emulator is built from (its data directory and ports are filled
    in); override this fixture to change it."""
    from .config import Config

    return Config(log_level="warning")


@pytest.fixture(scope="session")
def wandb_emulator(
    tmp_path_factory: pytest.TempPathFactory, wandb_emulator_config: Config
) -> Iterator[RunningEmulator | EmulatorProcess]:
    """An emulator for this test session (one per xdist worker), on free loopback ports:
    in this process, or `serve --workers N` when the Config asks for workers."""
    from .testing import EmulatorProcess, RunningEmulator

    data_dir = tmp_path_factory.mktemp("wandb-emulator") / "data"
    kind = EmulatorProcess if wandb_emulator_config.workers > 1 else RunningEmulator
    with kind(data_dir, wandb_emulator_config) as emulator:
        yield emulator


@pytest.fixture
def wandb_emulator_user(
    wandb_emulator: RunningEmulator | EmulatorProcess,
) -> Iterator[EmulatorUser]:
    """A fresh user, organization and team; the WANDB_* variables point at them."""
    user = wandb_emulator.new_user()
    control = {
        "WANDB_EMULATOR_URL": wandb_emulator.base_url,
        "WANDB_EMULATOR_CONTROL_TOKEN": wandb_emulator.control_token,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**user.environ, **control}.items():
            patch.setenv(name, value)
        _reset_sdk()
        yield user
    _reset_sdk()


def _reset_sdk() -> None:
    """The wandb SDK reads the environment once per process: its `wandb.setup()`
    singleton keeps the settings it read first (`wandb.init()` ignores later WANDB_*
    changes), and `wandb.init()` keeps the API key it logged in with per server URL,
    which later `wandb.Api()`s prefer to WANDB_API_KEY. Drop both once the environment is
    in place (forgetting the key sets the SDK up again, from the environment of then):
    the SDK reads the one this fixture sets, and after the test the one it restores."""
    if "wandb" not in sys.modules:
        return  # not used yet in this process: it will read the environment then
    import wandb

    wandb.teardown()
    try:
        from wandb.sdk.lib.wbauth import unauthenticate_session
    except ImportError:  # SDKs without session credentials
        return
    unauthenticate_session()


@pytest.fixture
def wandb_emulator_journal(wandb_emulator: RunningEmulator | EmulatorProcess) -> Journal:
    """The request journal of the session's emulator, emptied before the test."""
    journal = in_process(wandb_emulator, "wandb_emulator_journal").journal
    journal.clear()
    return journal


@pytest.fixture
def wandb_emulator_faults(
    wandb_emulator: RunningEmulator | EmulatorProcess,
) -> Iterator[Faults]:
    """The fault rules of the session's emulator, cleared after the test."""
    faults = in_process(wandb_emulator, "wandb_emulator_faults").faults
    yield faults
    faults.clear()


@pytest.fixture
def wandb_emulator_webhooks(
    wandb_emulator: RunningEmulator | EmulatorProcess,
) -> Iterator[WebhookReceiver]:
    """A loopback webhook receiver; automation deliveries are synchronous meanwhile."""
    from .testing.webhooks import WebhookReceiver

    emulator = in_process(wandb_emulator, "wandb_emulator_webhooks")
    emulator.clear_deliveries()
    previous = emulator.configure_deliveries(synchronous=True)
    with WebhookReceiver() as receiver:
        yield receiver
    emulator.configure_deliveries(**previous)
