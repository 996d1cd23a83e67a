"""pytest plugin of wandb-emulator, active once the package is installed (entry point pytest11).

    def test_model_lands_in_registry(wandb_emulator_user):
        api = wandb.Api()  # the environment points at the emulator, as a fresh user
        api.create_registry("models", visibility="organization")

Fixtures (all prefixed `wandb_emulator`):
- `wandb_emulator` (session): a running emulator for this session, or for this
  xdist worker; `.base_url`, `.journal`, `.faults`, `.reset()`, `.seed(doc)`, `.new_user()`.
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

Marker `@pytest.mark.wandb_emulator_snapshot("registry.tar")`: the session's emulator
restores that snapshot (a path relative to the test's file, or absolute) before the
test, on a module or class too. Make one with `wandb_emulator.snapshot(path)` or
`wandb-emulator export`.

Nothing is imported or started until a test asks for one of these fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

SNAPSHOT_MARKER = "wandb_emulator_snapshot"

if TYPE_CHECKING:
    from .faults import FaultRules
    from .journal import Journal
    from .testing import EmulatorUser, RunningEmulator
    from .webhooks import WebhookReceiver


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
    request.getfixturevalue("wandb_emulator").restore(path)


@pytest.fixture(scope="session")
def wandb_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An emulator for this test session (one per xdist worker), on a free loopback port."""
    from .testing import RunningEmulator

    with RunningEmulator(tmp_path_factory.mktemp("wandb-emulator") / "data") as emulator:
        yield emulator


@pytest.fixture
def wandb_emulator_user(wandb_emulator: RunningEmulator) -> Iterator[EmulatorUser]:
    """A fresh user, organization and team; the WANDB_* variables point at them."""
    user = wandb_emulator.new_user()
    control = {
        "WANDB_EMULATOR_URL": wandb_emulator.base_url,
        "WANDB_EMULATOR_CONTROL_TOKEN": wandb_emulator.control_token,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**user.environ, **control}.items():
            patch.setenv(name, value)
        _forget_sdk_session_credentials()
        yield user
        _forget_sdk_session_credentials()


def _forget_sdk_session_credentials() -> None:
    """`wandb.init()` keeps the API key it logged in with for the process (per server
    URL), and later `wandb.Api()`s prefer it to WANDB_API_KEY: forget it, so that the
    next test's user is the one its environment names."""
    try:
        from wandb.sdk.lib.wbauth import unauthenticate_session
    except ImportError:  # SDKs without session credentials
        return
    unauthenticate_session()


@pytest.fixture
def wandb_emulator_journal(wandb_emulator: RunningEmulator) -> Journal:
    """The request journal of the session's emulator, emptied before the test."""
    wandb_emulator.journal.clear()
    return wandb_emulator.journal


@pytest.fixture
def wandb_emulator_faults(wandb_emulator: RunningEmulator) -> Iterator[FaultRules]:
    """The fault rules of the session's emulator, cleared after the test."""
    yield wandb_emulator.faults
    wandb_emulator.faults.clear()


@pytest.fixture
def wandb_emulator_webhooks(wandb_emulator: RunningEmulator) -> Iterator[WebhookReceiver]:
    """A loopback webhook receiver; automation deliveries are synchronous meanwhile."""
    from .webhooks import WebhookReceiver

    wandb_emulator.emulator.automations.deliveries.clear()
    previous = wandb_emulator.configure_deliveries(synchronous=True)
    with WebhookReceiver() as receiver:
        yield receiver
    wandb_emulator.configure_deliveries(**previous)
