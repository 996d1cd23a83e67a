"""The switch between the fast path and stock Strawberry: `--no-fast-execution` (or a
Strawberry/graphql-core release outside the range the fast path was tested with) serves
with stock Strawberry on graphql-core, without importing the fast path, and the SDK
works on it as on the fast path."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wandb_emulator.cli import _config_from_args, build_parser
from wandb_emulator.config import Config
from wandb_emulator.graphql.schema import FAST_PATH_TESTED, build_schema, fast_path_refusal
from wandb_emulator.testing import InProcessEmulator

ROOT = Path(__file__).resolve().parent.parent
# The SDK smoke suite: registries (create, save, list, members' roles) and the artifact
# workflow (wandb.init, log, link, fetch by every path form, download, unlink).
SMOKE_SUITE = ("tests/test_registry.py", "tests/test_linking.py")

TESTED = {package: low for package, (low, _) in FAST_PATH_TESTED.items()}


def versions(**overrides: str):
    found = {**TESTED, **{name.replace("_", "-"): v for name, v in overrides.items()}}
    return found.__getitem__


def test_the_sdk_smoke_suite_passes_on_the_stock_path() -> None:
    """Every server the inner session starts is given `--no-fast-execution`."""
    env = {**os.environ, "WANDB_EMULATOR_TEST_STOCK_PATH": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *SMOKE_SUITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.fast
def test_serve_takes_the_switch() -> None:
    serve = ["serve", "--data-dir", "d"]
    assert _config_from_args(build_parser().parse_args(serve)).fast_execution is True
    stock = build_parser().parse_args([*serve, "--no-fast-execution"])
    assert _config_from_args(stock).fast_execution is False


@pytest.mark.fast
@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({}, None),
        ({"strawberry_graphql": "0.342.0"}, "strawberry-graphql 0.342.0 is outside"),
        ({"strawberry_graphql": "0.341.2"}, "strawberry-graphql 0.341.2 is outside"),
        ({"graphql_core": "3.4.0"}, "graphql-core 3.4.0 is outside"),
        ({"graphql_core": "3.3.2rc1"}, "graphql-core 3.3.2rc1 is outside"),
        ({"graphql_core": "3.2.6"}, "graphql-core 3.2.6 is outside"),
    ],
)
def test_the_fast_path_runs_only_on_releases_it_was_tested_with(
    overrides: dict[str, str], refused: str | None
) -> None:
    reason = fast_path_refusal(versions(**overrides))
    assert (reason is None) is (refused is None)
    if refused is not None:
        assert reason is not None and reason.startswith(refused)


@pytest.mark.fast
def test_an_untested_release_falls_back_to_stock_strawberry_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="wandb_emulator"):
        schema = build_schema(Config(), installed=versions(strawberry_graphql="0.399.0"))
    assert schema.fast is False
    [record] = caplog.records
    assert "fast execution is off: strawberry-graphql 0.399.0 is outside" in record.message
    assert "serving with stock Strawberry" in record.message
    caplog.clear()
    assert build_schema(Config(fast_execution=False)).fast is False
    assert caplog.records == []  # switched off on purpose: nothing to warn about


STOCK_START = """
import sys
from wandb_emulator.app import Emulator, create_app
from wandb_emulator.config import Config
from pathlib import Path
emulator = Emulator(Config(data_dir=Path(sys.argv[1]), fast_execution=sys.argv[2] == "on"))
create_app(emulator)
print(emulator.schema.fast, sorted(m for m in sys.modules if ".fastpath" in m))
"""


@pytest.mark.fast
@pytest.mark.parametrize("switch", ["on", "off"])
@pytest.mark.skipif(fast_path_refusal() is not None, reason="the fast path is off here")
def test_the_fast_path_is_imported_only_when_it_is_on(tmp_path: Path, switch: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", STOCK_START, str(tmp_path / "data"), switch],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if switch == "on":
        assert out.startswith("True [") and "wandb_emulator.graphql.fastpath.execution" in out
    else:
        assert out == "False []"


# ---------------------------------------------------------------- limits on both paths

DEEP = "query Deep { viewer { teams { edges { node { name } } } } }"
ALIASES = "query Many { " + " ".join(f"a{i}: viewer {{ id }}" for i in range(4)) + " }"
LIMIT_ANSWERS = [
    (DEEP, '"Deep" exceeds maximum operation depth of 3'),
    (ALIASES, "4 aliases found. Allowed: 3"),
    # Strawberry's depth rule raised KeyError on this: an internal server error
    ("query Spread { viewer { ...Missing } }", 'Unknown fragment "Missing".'),
    ("query Odd { viewer { shoeSize } }", 'Cannot query field "shoeSize" on type "User".'),
    ("{ a } fragment F on Query { a } fragment G on Query { a }", "more than 1 fragments"),
    ("{ " + "a " * 40 + "}", "more than 30 tokens"),
]


@pytest.fixture(scope="module", params=[True, False], ids=["fast", "stock"])
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param and fast_path_refusal() is not None:
        pytest.skip("the fast path is off here")
    config = Config(
        log_level="warning",
        fast_execution=request.param,
        max_query_depth=3,
        max_query_aliases=3,
        max_query_fragments=1,
        max_query_tokens=30,
    )
    with InProcessEmulator(tmp_path_factory.mktemp("limits") / "data", config) as emulator:
        assert emulator.emulator.schema.fast is request.param
        yield emulator, emulator.new_user()


@pytest.mark.fast
@pytest.mark.parametrize(("document", "message"), LIMIT_ANSWERS)
def test_limits_and_wording_hold_on_both_paths(limited, document: str, message: str) -> None:
    emulator, user = limited
    for _ in range(2):  # the second time from the caches
        response = emulator.graphql(user.api_key, document)
        assert response.status_code == 400
        errors = response.json().get("errors") or [response.json()]
        assert any(message in (e.get("message") or e.get("error", "")) for e in errors), errors


@pytest.mark.fast
def test_both_paths_serve_the_same_schema() -> None:
    stock = build_schema(Config(fast_execution=False)).as_str()
    assert stock == build_schema(Config()).as_str()
    assert stock + "\n" == (ROOT / "schema.graphql").read_text()
