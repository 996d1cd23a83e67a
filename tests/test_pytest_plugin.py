"""The pytest plugin, used the way a project's own test suite uses it (in a pytest subprocess)."""

from __future__ import annotations

import socket

import pytest

USER_TESTS = """
import os

import wandb


def test_the_environment_points_at_the_emulator(wandb_emulator, wandb_emulator_user):
    assert os.environ["WANDB_BASE_URL"] == wandb_emulator.base_url
    assert os.environ["WANDB_API_KEY"] == wandb_emulator_user.api_key
    assert os.environ["WANDB_ENTITY"] == wandb_emulator_user.team
    assert os.environ["WANDB_USERNAME"] == wandb_emulator_user.username
    assert os.environ["WANDB_EMULATOR_URL"] == wandb_emulator.base_url
    assert os.environ["WANDB_EMULATOR_CONTROL_TOKEN"] == wandb_emulator.control_token


def test_the_control_endpoints_take_the_fixture_token(wandb_emulator):
    import httpx

    url = wandb_emulator.base_url + "/_emulator/faults"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers=wandb_emulator.control_headers).status_code == 200


def test_model_lands_in_registry(wandb_emulator_user, wandb_emulator_journal):
    api = wandb.Api()
    assert api.viewer.username == wandb_emulator_user.username
    api.create_registry("models", visibility="organization")
    assert [r.name for r in api.registries()] == ["models"]
    wandb_emulator_journal.assert_called("UpsertRegistry", times=1)


def test_every_test_gets_its_own_user_and_organization(wandb_emulator_user):
    assert [r.name for r in wandb.Api().registries()] == []


def test_a_run_goes_to_the_tests_team(wandb_emulator_user):
    with wandb.init(project="p") as run:
        assert (run.entity, run.settings.api_key) == (
            wandb_emulator_user.team,
            wandb_emulator_user.api_key,
        )


def test_and_the_next_tests_run_to_its_own(wandb_emulator_user):
    with wandb.init(project="p") as run:
        assert (run.entity, run.settings.api_key) == (
            wandb_emulator_user.team,
            wandb_emulator_user.api_key,
        )


def test_the_environment_is_restored_after_a_test():
    assert os.environ["WANDB_API_KEY"] == "outer-key"
    assert "WANDB_ENTITY" not in os.environ


def test_faults_apply_within_a_test(wandb_emulator_user, wandb_emulator_faults):
    wandb_emulator_faults.add(operation="GetTeamEntity", error="team service down")
    api = wandb.Api()
    try:
        api.team(wandb_emulator_user.team)
    except Exception as exc:
        assert "team service down" in str(exc)
    else:
        raise AssertionError("the injected error did not reach the SDK")


def test_faults_are_cleared_after_the_test(wandb_emulator):
    assert wandb_emulator.faults.rules() == []


def test_reset_and_seed_from_the_fixture(wandb_emulator, wandb_emulator_user):
    wandb_emulator.reset()
    key = "seeded-" + "k" * 40
    wandb_emulator.seed({"users": [{"username": "seeded", "apiKey": key}]})
    api = wandb.Api(api_key=key, overrides={"base_url": wandb_emulator.base_url})
    assert api.viewer.username == "seeded"
"""


def test_a_users_test_suite_passes(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "outer-key")
    monkeypatch.delenv("WANDB_ENTITY", raising=False)
    pytester.makepyfile(test_user_suite=USER_TESTS)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=10)


def test_a_failed_journal_assertion_fails_the_users_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_failing="""
        import wandb

        def test_expects_an_unsent_operation(wandb_emulator_user, wandb_emulator_journal):
            wandb.Api().viewer
            wandb_emulator_journal.assert_called("UpsertRegistry")
        """
    )
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected UpsertRegistry at least once, got 0*Viewer*"])


def test_a_conftest_configures_the_session_emulator(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from wandb_emulator.config import Config

        @pytest.fixture(scope="session")
        def wandb_emulator_config():
            return Config(log_level="warning", journal_size=2)
        """
    )
    pytester.makepyfile(
        test_configured="""
        import httpx

        def test_the_journal_keeps_two_requests(wandb_emulator):
            for path in ("/ready", "/nowhere", "/ready"):
                httpx.get(wandb_emulator.base_url + path)
            assert [e.path for e in wandb_emulator.journal.entries()] == ["/nowhere", "/ready"]
        """
    )
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)


def test_every_xdist_worker_runs_its_own_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_workers="""
        def test_report_the_url(wandb_emulator, worker_id, pytestconfig):
            out = pytestconfig.rootpath / f"{worker_id}.url"
            out.write_text(wandb_emulator.base_url)
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-q")
    result.assert_outcomes(passed=2)
    urls = {path.read_text() for path in pytester.path.glob("gw*.url")}
    assert len(urls) == 2


def test_running_emulator_listens_on_a_tcp_socket() -> None:
    """asyncio sets TCP_NODELAY on accepted sockets only when the listening socket's
    protocol is IPPROTO_TCP; with 0 (`socket.socket()`'s default), each keep-alive request
    to RunningEmulator waited about 40 ms for the client's delayed ACK."""
    from wandb_emulator.testing import loopback_socket

    with loopback_socket() as sock:
        assert sock.proto == socket.IPPROTO_TCP
