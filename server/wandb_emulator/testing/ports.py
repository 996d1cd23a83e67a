"""Loopback ports for the emulators and helpers that tests start."""

from __future__ import annotations

import socket


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port of 127.0.0.1, for a server in this process."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
    # protocol says TCP; without it a response written in two parts (headers, body) waits
    # for the client's delayed ACK, about 40 ms per keep-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    """A port of 127.0.0.1 that is free now, for a server in another process to bind."""
    with loopback_socket() as sock:
        port: int = sock.getsockname()[1]
        return port
