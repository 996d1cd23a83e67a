"""The `wandb-emulator` commands that are not `serve`: reset, seed, journal, fault,
deliveries, snapshot, restore, export, import, contract.

reset/seed/journal/fault/deliveries/snapshot/restore talk to a running server through
its /_emulator endpoints (`--url`, default $WANDB_EMULATOR_URL or http://127.0.0.1:8080)
with the control token `serve` printed ($WANDB_EMULATOR_CONTROL_TOKEN,
`--control-token`), else an instance admin's $WANDB_API_KEY; `seed --data-dir` (or
`--database-url`) writes to the database itself instead. export/import read and write
the stores of a data directory (or `--database-url`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8080"
CONTROL_TOKEN_ENV = "WANDB_EMULATOR_CONTROL_TOKEN"
DATABASE_URL_ENV = "WANDB_EMULATOR_DATABASE_URL"
HTTP_TIMEOUT = 30
LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]
SNAPSHOT_TIMEOUT = 3600
COPY_CHUNK = 1024 * 1024


class ControlError(Exception):
    """A command failed; the message is for the user."""


def _credentials(args: argparse.Namespace) -> dict[str, str]:
    """The control token (option or environment), else an instance admin's API key."""
    token = args.control_token or os.environ.get("WANDB_API_KEY")
    return {"authorization": f"Bearer {token}"} if token else {}


def _request(
    args: argparse.Namespace, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    with _open(args, method, path, data, "application/json", HTTP_TIMEOUT) as response:
        return json.loads(response.read() or b"null")


@contextlib.contextmanager
def _open(
    args: argparse.Namespace,
    method: str,
    path: str,
    data: Any,
    content_type: str,
    timeout: float,
) -> Iterator[Any]:
    """An /_emulator request's response, open; ControlError on an HTTP error."""
    url = args.url
    request = urllib.request.Request(
        url.rstrip("/") + "/_emulator" + path,
        data=data,
        method=method,
        headers={"content-type": content_type, **_credentials(args)},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            yield response
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        with contextlib.suppress(json.JSONDecodeError, AttributeError):
            detail = json.loads(detail).get("error", detail)
        raise ControlError(f"{method} {path}: HTTP {exc.code}: {detail}") from exc
    except urllib.error.URLError as exc:
        raise ControlError(f"cannot reach the emulator at {url}: {exc.reason}") from exc


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


# ---------------------------------------------------------------- commands


def reset(args: argparse.Namespace) -> int:
    result = _request(args, "POST", "/reset")
    print(f"reset in {result['duration_ms']:.1f} ms")
    return 0


def seed(args: argparse.Namespace) -> int:
    from .seeding import SeedError, load_seed_file

    try:
        document = load_seed_file(Path(args.file))
    except (OSError, ValueError, SeedError) as exc:
        raise ControlError(f"cannot read seed file {args.file}: {exc}") from exc
    if args.data_dir or args.database_url:
        asyncio.run(_seed_database(args.data_dir, args.database_url, document))
    else:
        _request(args, "POST", "/seed", document)
    print(f"seeded from {args.file}")
    return 0


async def _seed_database(
    data_dir: str | None, database_url: str | None, document: dict[str, Any]
) -> None:
    from .store.database import check_database_url

    if database_url:
        try:
            check_database_url(database_url)
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
    if data_dir:
        await _seed_with(Path(data_dir), database_url, document)
        return
    with tempfile.TemporaryDirectory(prefix="wandb-emulator-") as scratch:
        await _seed_with(Path(scratch), database_url, document)  # the seed writes no blob


async def _seed_with(data_dir: Path, database_url: str | None, document: dict[str, Any]) -> None:
    from .app import Emulator
    from .config import Config
    from .seeding import SEED_ERRORS

    emulator = Emulator(Config(data_dir=data_dir, database_url=database_url))
    await emulator.start()
    try:
        await emulator.apply_seed(document)
    except SEED_ERRORS as exc:
        raise ControlError(f"seed not applied: {exc}") from exc
    finally:
        await emulator.stop()


def journal(args: argparse.Namespace) -> int:
    if args.clear:
        _request(args, "DELETE", "/journal")
        return 0
    query = {"operation": args.operation, "limit": args.limit}
    query = {key: value for key, value in query.items() if value is not None}
    suffix = "?" + urllib.parse.urlencode(query) if query else ""
    _print_json(_request(args, "GET", "/journal" + suffix)["entries"])
    return 0


def fault(args: argparse.Namespace) -> int:
    if args.fault_command == "add":
        spec = {
            "operation": args.operation,
            "path": args.path,
            "webhook": args.webhook,
            "method": args.method,
            "variables": _json_object_arg(args.variables),
            "error": args.error,
            "status": args.status,
            "latency_ms": args.latency_ms,
            "times": args.times,
        }
        added = _request(args, "POST", "/faults", {k: v for k, v in spec.items() if v})
        _print_json(added["fault"])
    elif args.fault_command == "list":
        _print_json(_request(args, "GET", "/faults")["faults"])
    elif args.id is not None:
        _request(args, "DELETE", f"/faults/{args.id}")
    else:
        _request(args, "DELETE", "/faults")
    return 0


def deliveries(args: argparse.Namespace) -> int:
    """Print the automation delivery log, change delivery settings, or empty the log."""
    if args.clear:
        _request(args, "DELETE", "/deliveries")
        return 0
    settings = {
        "synchronous": {"sync": True, "async": False}.get(args.mode or ""),
        "retries": args.retries,
        "backoff_ms": args.backoff_ms,
        "timeout_s": args.timeout_s,
    }
    settings = {key: value for key, value in settings.items() if value is not None}
    if settings:
        _print_json(_request(args, "POST", "/automations", settings))
        return 0
    entries = _request(args, "GET", "/deliveries?wait=true")["deliveries"]
    if args.automation:
        entries = [e for e in entries if e["automation"]["name"] == args.automation]
    _print_json(entries[-args.limit :] if args.limit else entries)
    return 0


def snapshot(args: argparse.Namespace) -> int:
    """Download a snapshot of a running server's state to PATH (replaced atomically)."""
    target = Path(args.path)
    partial = target.with_name(f".{target.name}.partial")
    started = time.perf_counter()
    try:
        with (
            _open(args, "GET", "/snapshot", None, "application/json", SNAPSHOT_TIMEOUT) as response,
            partial.open("wb") as out,
        ):
            while chunk := response.read(COPY_CHUNK):
                out.write(chunk)
        os.replace(partial, target)
    except OSError as exc:
        raise ControlError(f"cannot write {target}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    print(f"snapshot saved to {target} in {time.perf_counter() - started:.2f} s")
    return 0


def restore(args: argparse.Namespace) -> int:
    """Replace a running server's state with the snapshot PATH."""
    path = Path(args.path)
    if not path.is_file():
        raise ControlError(f"no such snapshot: {path}")
    with (
        path.open("rb") as source,
        _open(args, "POST", "/restore", source, "application/x-tar", SNAPSHOT_TIMEOUT) as answer,
    ):
        result = json.loads(answer.read())
    print(f"restored {args.path} in {result['duration_ms']:.1f} ms: {result['summary']}")
    return 0


def export(args: argparse.Namespace) -> int:
    """Write a snapshot of a data directory (a server may be serving it) to PATH."""
    from .snapshots import export_data_dir

    path = Path(args.path)
    return _snapshot_command(
        "exported {} to {} in {:.2f} s", path, export_data_dir(_storage_config(args), path)
    )


def import_(args: argparse.Namespace) -> int:
    """Import the snapshot PATH into an empty data directory (or over one, --replace)."""
    from .snapshots import import_snapshot

    path = Path(args.path)
    return _snapshot_command(
        "imported {} from {} in {:.2f} s",
        path,
        import_snapshot(_storage_config(args), path, replace=args.replace),
    )


def _snapshot_command(done: str, path: Path, work: Any) -> int:
    """Run an export or import; print `done` with what the snapshot holds, its path, the time."""
    from .snapshots import SnapshotError, summary

    started = time.perf_counter()
    try:
        manifest = asyncio.run(work)
    except (SnapshotError, OSError) as exc:
        raise ControlError(str(exc)) from exc
    print(done.format(summary(manifest), path, time.perf_counter() - started))
    return 0


def _storage_config(args: argparse.Namespace) -> Any:
    from .config import Config

    return Config(data_dir=Path(args.data_dir), database_url=database_url(args))


def database_url(args: argparse.Namespace) -> str | None:
    """--database-url, else $WANDB_EMULATOR_DATABASE_URL (None: the data directory's)."""
    return args.database_url or os.environ.get(DATABASE_URL_ENV) or None


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    """Where the state lives: the options `serve`, `export` and `import` share."""
    parser.add_argument("--data-dir", default="data", help="the data directory (default: data)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="sqlite:///PATH or postgresql://user:password@host:port/database"
        f" (default: ${DATABASE_URL_ENV}, else the SQLite file in --data-dir)",
    )


def _json_object_arg(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ControlError(f"--variables is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ControlError("--variables must be a JSON object")
    return value


def contract(args: argparse.Namespace) -> int:
    from .contract.check import contract_report, report_json
    from .contract.extract import installed_package_dir, wandb_package_dir
    from .graphql.schema import build_schema

    try:
        dirs = [wandb_package_dir(Path(d)) for d in args.package_dir or []]
        dirs = dirs or [installed_package_dir()]
    except FileNotFoundError as exc:
        raise ControlError(str(exc)) from exc
    schema = build_schema()._schema
    reports = [contract_report(package_dir, schema) for package_dir in dirs]
    if args.json:
        sys.stdout.write(report_json(reports) + "\n")
    else:
        sys.stdout.write("\n\n".join(report.render() for report in reports) + "\n")
    return 0 if all(report.ok for report in reports) else 1


# ---------------------------------------------------------------- parser


def _url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("WANDB_EMULATOR_URL", DEFAULT_URL),
        help="base URL of a running emulator (default: $WANDB_EMULATOR_URL or %(default)s)",
    )
    parser.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_ENV),
        help=f"the token `serve` printed (default: ${CONTROL_TOKEN_ENV}; else $WANDB_API_KEY"
        " of an instance admin)",
    )


def add_control_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the commands on the `wandb-emulator` subparsers."""
    reset_cmd = commands.add_parser("reset", parents=[common], help="wipe back to the seed")
    _url_option(reset_cmd)
    reset_cmd.set_defaults(handler=reset)

    seed_cmd = commands.add_parser("seed", parents=[common], help="add users, orgs, teams...")
    seed_cmd.add_argument("file", help="seed document, JSON or YAML")
    _url_option(seed_cmd)
    seed_cmd.add_argument("--data-dir", help="write to this data directory instead of a server")
    seed_cmd.add_argument(
        "--database-url",
        help="write to this database (sqlite:///PATH, postgresql://...) instead of a server",
    )
    seed_cmd.set_defaults(handler=seed)

    journal_cmd = commands.add_parser("journal", parents=[common], help="print recorded requests")
    _url_option(journal_cmd)
    journal_cmd.add_argument("--operation", help="only this GraphQL operation")
    journal_cmd.add_argument("--limit", type=int, help="only the last N entries")
    journal_cmd.add_argument("--clear", action="store_true", help="empty the journal")
    journal_cmd.set_defaults(handler=journal)

    fault_cmd = commands.add_parser("fault", parents=[common], help="inject or clear faults")
    fault_commands = fault_cmd.add_subparsers(dest="fault_command", required=True)
    add_cmd = fault_commands.add_parser("add", parents=[common], help="add a fault rule")
    target = add_cmd.add_mutually_exclusive_group(required=True)
    target.add_argument("--operation", help="GraphQL operation name, e.g. FetchRegistry")
    target.add_argument("--path", help="glob of a non-GraphQL path, e.g. '/files/*'")
    target.add_argument("--webhook", help="glob of automation delivery URLs, e.g. '*/hook'")
    add_cmd.add_argument("--method", help="HTTP method, with --path")
    add_cmd.add_argument("--variables", help="JSON object: only requests with these variables")
    add_cmd.add_argument("--error", help="answer with this GraphQL error message")
    add_cmd.add_argument("--status", type=int, help="answer with this HTTP status")
    add_cmd.add_argument("--latency-ms", type=int, help="delay the answer")
    add_cmd.add_argument("--times", type=int, help="apply N times (default: until cleared)")
    list_cmd = fault_commands.add_parser("list", parents=[common], help="list fault rules")
    clear_cmd = fault_commands.add_parser("clear", parents=[common], help="remove fault rules")
    clear_cmd.add_argument("--id", type=int, help="only this rule")
    for sub in (add_cmd, list_cmd, clear_cmd):
        _url_option(sub)
    fault_cmd.set_defaults(handler=fault)

    deliveries_cmd = commands.add_parser(
        "deliveries", parents=[common], help="print automation deliveries, or change settings"
    )
    _url_option(deliveries_cmd)
    deliveries_cmd.add_argument("--automation", help="only this automation (by name)")
    deliveries_cmd.add_argument("--limit", type=int, help="only the last N deliveries")
    deliveries_cmd.add_argument("--clear", action="store_true", help="empty the delivery log")
    deliveries_cmd.add_argument(
        "--mode", choices=["sync", "async"], help="deliver before the request answers, or after"
    )
    deliveries_cmd.add_argument("--retries", type=int, help="retries on 5xx/connection errors")
    deliveries_cmd.add_argument("--backoff-ms", type=int, help="first retry delay (doubles)")
    deliveries_cmd.add_argument("--timeout-s", type=float, help="timeout of each attempt")
    deliveries_cmd.set_defaults(handler=deliveries)

    snapshot_cmd = commands.add_parser(
        "snapshot", parents=[common], help="download a snapshot of a running server's state"
    )
    snapshot_cmd.add_argument("path", help="the snapshot file to write")
    _url_option(snapshot_cmd)
    snapshot_cmd.set_defaults(handler=snapshot)

    restore_cmd = commands.add_parser(
        "restore", parents=[common], help="replace a running server's state with a snapshot"
    )
    restore_cmd.add_argument("path", help="a snapshot file")
    _url_option(restore_cmd)
    restore_cmd.set_defaults(handler=restore)

    export_cmd = commands.add_parser(
        "export", help="write a snapshot of a data directory (even if served)"
    )
    add_quiet_log_level(export_cmd)
    export_cmd.add_argument("path", help="the snapshot file to write (replaced atomically)")
    add_storage_options(export_cmd)
    export_cmd.set_defaults(handler=export)

    import_cmd = commands.add_parser(
        "import", help="import a snapshot into an empty data directory"
    )
    add_quiet_log_level(import_cmd)
    import_cmd.add_argument("path", help="a snapshot file")
    add_storage_options(import_cmd)
    import_cmd.add_argument(
        "--replace", action="store_true", help="overwrite a data directory that holds data"
    )
    import_cmd.set_defaults(handler=import_)

    contract_cmd = commands.add_parser(
        "contract", help="check the SDK's GraphQL documents against the schema"
    )
    add_quiet_log_level(contract_cmd)
    contract_cmd.add_argument("--json", action="store_true", help="machine-readable output")
    contract_cmd.add_argument(
        "--package-dir",
        action="append",
        help="a wandb package, or a dir holding one (pip --target); repeatable",
    )
    contract_cmd.set_defaults(handler=contract)


def add_quiet_log_level(command: argparse.ArgumentParser) -> None:
    """--log-level defaulting to warning, for a command that prints a report. Its own
    option: `set_defaults(log_level=...)` on a parser built from the shared `common`
    parent would change the shared action's default, every command's."""
    command.add_argument("--log-level", default="warning", choices=LOG_LEVELS)


def run_control_command(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except ControlError as exc:
        sys.stderr.write(f"wandb-emulator {args.command}: {exc}\n")
        return 2
