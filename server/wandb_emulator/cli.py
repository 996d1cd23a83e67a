"""The `wandb-emulator` command line.

Only `serve` imports the server (`serving.py`); the control commands stay light.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import ssl
import sys
from pathlib import Path

from .blobs import BlobStoreUnavailable
from .config import DEFAULT_SEED_FILE, Config, parse_s3_url
from .control_cli import (
    CONTROL_TOKEN_ENV,
    LOG_LEVELS,
    add_control_commands,
    add_quiet_log_level,
    add_storage_options,
    database_url,
    run_control_command,
)
from .logs import configure_logging


def _config_from_args(args: argparse.Namespace) -> Config:
    return Config(
        data_dir=Path(args.data_dir),
        database_url=database_url(args),
        host=args.host,
        port=args.port,
        fixture_port=args.fixture_port,
        public_url=args.public_url,
        tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None,
        storage_regions=tuple(args.storage_regions or ("minio-local",)),
        seed_file=Path(args.seed_file) if args.seed_file else DEFAULT_SEED_FILE,
        log_level=args.log_level,
        journal_size=args.journal_size,
        emulator_endpoints=args.emulator_endpoints,
        automations_synchronous=args.synchronous_deliveries,
        webhook_retries=args.webhook_retries,
        webhook_backoff_ms=args.webhook_backoff_ms,
        webhook_timeout_s=args.webhook_timeout_s,
        control_token=args.control_token or os.environ.get(CONTROL_TOKEN_ENV) or None,
        journal_entry_bytes=args.journal_entry_bytes,
        journal_total_bytes=args.journal_total_bytes,
        pending_max_age_seconds=args.pending_max_age,
        fast_execution=args.fast_execution,
        metrics_public=args.metrics_public,
        log_format=args.log_format,
        blob_store=args.blob_store or None,
        s3_endpoint_url=args.s3_endpoint_url or None,
    )


BLOB_STORE_ENV = "WANDB_EMULATOR_BLOB_STORE"
S3_ENDPOINT_ENV = "WANDB_EMULATOR_S3_ENDPOINT_URL"

# Config fields `serve` has no option for, and the options not named after their field.
NOT_SERVE_OPTIONS = frozenset(
    {
        "max_body_bytes",
        "max_page_size",
        "max_query_depth",
        "max_query_tokens",
        "max_query_aliases",
        "max_query_fragments",
        "delivery_log_size",
        "blob_grace_seconds",
        "maintenance_interval_seconds",
    }
)
_FLAG_OF_FIELD = {
    "storage_regions": "--storage-region",
    "automations_synchronous": "--synchronous-deliveries",
    "pending_max_age_seconds": "--pending-max-age",
}


def serve_arguments(config: Config) -> list[str]:
    """The `serve` options that build `config` (`_config_from_args` reads them back), for
    its settings other than the defaults: an option is `--` and its field's name, a
    boolean a bare flag (`--no-` for one on by default), a tuple a repeated option.
    ValueError for a setting `serve` has no option for."""
    default = Config()
    argv: list[str] = []
    for field in dataclasses.fields(Config):
        value, default_value = getattr(config, field.name), getattr(default, field.name)
        if value == default_value:
            continue
        if field.name in NOT_SERVE_OPTIONS or value is None:
            raise ValueError(f"`serve` has no option that sets {field.name}={value!r}")
        flag = _FLAG_OF_FIELD.get(field.name, "--" + field.name.replace("_", "-"))
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag.removeprefix("--"))
        elif isinstance(value, tuple):
            for item in value:
                argv += [flag, str(item)]
        else:
            argv += [flag, str(value)]
    return argv


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


# serve's options that take a positive integer: flag, default (Config's), help.
_POSITIVE_OPTIONS = (
    ("--journal-size", Config.journal_size, "requests kept in the request journal"),
    (
        "--journal-entry-bytes",
        Config.journal_entry_bytes,
        "bytes of variables kept per journal entry (longer ones are cut)",
    ),
    (
        "--journal-total-bytes",
        Config.journal_total_bytes,
        "bytes the journal holds at most (the oldest entries go first)",
    ),
    (
        "--pending-max-age",
        Config.pending_max_age_seconds,
        "seconds after which an uncommitted (PENDING) artifact version is removed",
    ),
)


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
    add_storage_options(serve_cmd)
    serve_cmd.add_argument(
        "--import",
        dest="import_path",
        metavar="PATH",
        help="start from this snapshot (into an empty data directory, or with --replace)",
    )
    serve_cmd.add_argument(
        "--replace", action="store_true", help="with --import: overwrite the data directory"
    )
    serve_cmd.add_argument(
        "--export-on-exit",
        metavar="PATH",
        help="on SIGINT/SIGTERM, write a snapshot to PATH (atomically; a second signal aborts)",
    )
    serve_cmd.add_argument(
        "--metrics-public",
        action="store_true",
        help="serve /metrics without credentials (default: control token or instance admin)",
    )
    serve_cmd.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="json: one JSON object per line, and one line per request",
    )
    serve_cmd.add_argument(
        "--public-url", default=None, help="base of the absolute URLs handed to clients"
    )
    serve_cmd.add_argument(
        "--tls-cert", default=None, help="PEM certificate: serve the base port over https"
    )
    serve_cmd.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    serve_cmd.add_argument(
        "--blob-store",
        default=os.environ.get(BLOB_STORE_ENV),
        metavar="s3://BUCKET/PREFIX",
        help="keep file bytes in an S3-compatible bucket instead of DATA_DIR/blobs"
        f" (default: ${BLOB_STORE_ENV}); credentials from the AWS environment or config",
    )
    serve_cmd.add_argument(
        "--s3-endpoint-url",
        default=os.environ.get(S3_ENDPOINT_ENV),
        help=f"the S3-compatible server of --blob-store (default: ${S3_ENDPOINT_ENV}, else AWS)",
    )
    serve_cmd.add_argument(
        "--storage-region",
        dest="storage_regions",
        action="append",
        metavar="REGION",
        help="a storage region artifacts may name (repeatable; default: minio-local)",
    )
    serve_cmd.add_argument(
        "--seed-file",
        default=None,
        help="seed applied on first start (default: the packaged default seed)",
    )
    for flag, default, help_text in _POSITIVE_OPTIONS:
        serve_cmd.add_argument(flag, type=_positive_int, default=default, help=help_text)
    serve_cmd.add_argument(
        "--control-token",
        default=None,
        help=f"bearer token of /_emulator/* (default: ${CONTROL_TOKEN_ENV}, else generated)",
    )
    serve_cmd.add_argument(
        "--no-emulator-endpoints",
        dest="emulator_endpoints",
        action="store_false",
        help="leave out /_emulator/* (reset, journal, faults, seed), e.g. on a network",
    )
    serve_cmd.add_argument(
        "--no-fast-execution",
        dest="fast_execution",
        action="store_false",
        help="serve GraphQL with stock Strawberry only (no internals of dependencies; slower)",
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

    export_cmd = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    add_quiet_log_level(export_cmd)
    add_control_commands(commands, common)
    return parser


def _check_blob_store_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.blob_store:
        try:
            parse_s3_url(args.blob_store)
        except ValueError as exc:
            parser.error(f"--blob-store: {exc}")
    elif args.s3_endpoint_url:
        parser.error("--s3-endpoint-url needs --blob-store s3://BUCKET/PREFIX")


def _check_tls_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    for option, value in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
        if value and not Path(value).is_file():
            parser.error(f"{option}: no such file: {value}")
    if args.tls_cert:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                args.tls_cert, args.tls_key
            )
        except (ssl.SSLError, ValueError) as exc:
            parser.error(f"--tls-cert/--tls-key: not a usable PEM certificate and key: {exc}")


def _check_database_url(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from .store.database import check_database_url

    url = database_url(args)
    if url:
        try:
            check_database_url(url)
        except ValueError as exc:
            parser.error(f"--database-url: {exc}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        _check_tls_args(parser, args)
        _check_blob_store_args(parser, args)
    if args.command in ("serve", "export", "import"):
        _check_database_url(parser, args)
    configure_logging(args.log_level, getattr(args, "log_format", "text"))
    if args.command == "serve":
        # The start allocates the schema's many long-lived objects and next to no garbage:
        # the cyclic collector stays off until the server is built (`serve` freezes what
        # the start made and turns it back on), instead of scanning them over and over.
        gc.disable()
        from .serving import serve

        export_on_exit = Path(args.export_on_exit) if args.export_on_exit else None
        try:
            return asyncio.run(
                serve(
                    _config_from_args(args),
                    import_from=Path(args.import_path) if args.import_path else None,
                    replace=args.replace,
                    export_on_exit=export_on_exit,
                )
            )
        except BlobStoreUnavailable as exc:
            parser.exit(1, f"wandb-emulator: cannot use the blob store: {exc}\n")
    elif args.command == "export-schema":
        from .graphql.schema import build_schema

        sys.stdout.write(build_schema().as_str() + "\n")
    else:
        return run_control_command(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
