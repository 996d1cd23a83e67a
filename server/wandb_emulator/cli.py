"""The `wandb-emulator` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from .app import Emulator, create_app, create_fixture_app
from .config import DEFAULT_SEED_FILE, Config
from .control_cli import add_control_commands, run_control_command
from .seeding import load_seed_file


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `serve`, which runs two of them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def default_user_exports(config: Config) -> str:
    seed = (
        load_seed_file(config.seed_file) if config.seed_file and config.seed_file.exists() else {}
    )
    lines = [f"export WANDB_BASE_URL={config.base_url}"]
    users = seed.get("users") or []
    if users:
        key = users[0].get("apiKey") or users[0]["username"]
        lines.append(f"export WANDB_API_KEY={key}")
    return "\n".join(lines)


def _uvicorn_server(app: Starlette, port: int, config: Config) -> _Server:
    return _Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=port,
            lifespan="off",
            log_level=config.log_level.lower(),
            access_log=False,
        )
    )


async def serve(config: Config) -> None:
    emulator = Emulator(config)
    await emulator.start()
    servers = [
        _uvicorn_server(create_app(emulator), config.port, config),
        _uvicorn_server(create_fixture_app(emulator), config.fixture_port, config),
    ]

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    print(default_user_exports(config), flush=True)
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        await emulator.stop()


def _config_from_args(args: argparse.Namespace) -> Config:
    return Config(
        data_dir=Path(args.data_dir),
        host=args.host,
        port=args.port,
        fixture_port=args.fixture_port,
        public_url=args.public_url,
        seed_file=Path(args.seed_file) if args.seed_file else DEFAULT_SEED_FILE,
        log_level=args.log_level,
        journal_size=args.journal_size,
        emulator_endpoints=args.emulator_endpoints,
        automations_synchronous=args.synchronous_deliveries,
        webhook_retries=args.webhook_retries,
        webhook_backoff_ms=args.webhook_backoff_ms,
        webhook_timeout_s=args.webhook_timeout_s,
    )


LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wandb-emulator", description=__doc__)
    parser.add_argument("--log-level", default="info", choices=LOG_LEVELS)
    # Every command takes --log-level too; SUPPRESS keeps the top-level value when it is absent.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default=argparse.SUPPRESS, choices=LOG_LEVELS)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", parents=[common], help="run the emulator")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8080)
    serve_cmd.add_argument("--fixture-port", type=int, default=9015)
    serve_cmd.add_argument("--data-dir", default="data")
    serve_cmd.add_argument(
        "--public-url", default=None, help="base of the absolute URLs handed to clients"
    )
    serve_cmd.add_argument(
        "--seed-file",
        default=None,
        help="seed applied on first start (default: the packaged default seed)",
    )
    serve_cmd.add_argument(
        "--journal-size",
        type=_positive_int,
        default=1000,
        help="requests kept in the request journal",
    )
    serve_cmd.add_argument(
        "--no-emulator-endpoints",
        dest="emulator_endpoints",
        action="store_false",
        help="leave out /_emulator/* (reset, journal, faults, seed), e.g. on a network",
    )
    serve_cmd.add_argument(
        "--synchronous-deliveries",
        action="store_true",
        help="deliver automation webhooks before the request that caused the event answers",
    )
    serve_cmd.add_argument(
        "--webhook-retries", type=int, default=3, help="retries on 5xx and connection errors"
    )
    serve_cmd.add_argument(
        "--webhook-backoff-ms", type=int, default=500, help="first retry delay; doubles"
    )
    serve_cmd.add_argument(
        "--webhook-timeout-s", type=float, default=10.0, help="timeout of each delivery attempt"
    )

    export_cmd = commands.add_parser(
        "export-schema", parents=[common], help="print the GraphQL schema (SDL)"
    )
    export_cmd.set_defaults(log_level="warning")
    add_control_commands(commands, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    if args.command == "serve":
        asyncio.run(serve(_config_from_args(args)))
    elif args.command == "export-schema":
        from .graphql.schema import build_schema

        sys.stdout.write(build_schema().as_str() + "\n")
    else:
        return run_control_command(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
