"""An S3-compatible server for the tests: moto's server mode on loopback (optionally over
https with a throwaway certificate), and buckets configured as README.md documents."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config as BotoConfig

# moto accepts any credentials; these keep boto3 (in the tests and in the emulator
# processes they start) away from real AWS credentials and config files.
TEST_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
UNSET_AWS_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE")


def bucket_cors(origin: str) -> dict[str, Any]:
    """The CORS rules README.md gives for a bucket serving the SDK (and `wandb verify`)."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": [origin],
                "AllowedMethods": ["GET", "HEAD", "PUT"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag", "Content-Length", "Content-Range", "Accept-Ranges"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }


@dataclass
class S3Server:
    process: subprocess.Popen[bytes]
    endpoint_url: str
    log_path: Path
    ca_file: Path | None = None

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            verify=str(self.ca_file) if self.ca_file else None,
            config=BotoConfig(s3={"addressing_style": "path"}),
        )

    def blob_store(self, bucket: str, prefix: str) -> dict[str, str]:
        """The Config settings that keep an emulator's blobs under `prefix` of `bucket`."""
        return {"blob_store": f"s3://{bucket}/{prefix}", "s3_endpoint_url": self.endpoint_url}

    def create_bucket(self, name: str, *, cors_origin: str | None = None) -> None:
        client = self.client()
        client.create_bucket(Bucket=name)
        if cors_origin:
            client.put_bucket_cors(Bucket=name, CORSConfiguration=bucket_cors(cors_origin))

    def object_keys(self, bucket: str, prefix: str = "") -> set[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return {obj["Key"] for page in pages for obj in page.get("Contents", [])}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_s3_server(log_dir: Path, tls: tuple[Path, Path] | None = None) -> S3Server:
    """moto's server on a free loopback port; `tls` (certificate, key) serves https."""
    port = _free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    if tls:
        command += ["--ssl-cert", str(tls[0]), "--ssl-key", str(tls[1])]
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"moto-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    scheme = "https" if tls else "http"
    server = S3Server(process, f"{scheme}://127.0.0.1:{port}", log_path, tls[0] if tls else None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto exited early:\n{log_path.read_text()}")
        try:
            verify = ssl.create_default_context(cafile=tls[0]) if tls else True
            httpx.get(server.endpoint_url + "/moto-api/", timeout=1, verify=verify)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"moto not ready after 30s:\n{log_path.read_text()}")
