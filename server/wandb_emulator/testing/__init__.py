"""Test tooling: one API to run an emulator for tests, fresh accounts, ports, and a
webhook receiver (`wandb_emulator.testing.webhooks`).

- `RunningEmulator`: in this process, served on loopback ports from a thread (what the
  pytest plugin starts): for the SDK, with the journal and fault rules at hand.
- `InProcessEmulator`: in this process without a socket, through the ASGI interface.
- `EmulatorProcess`: `wandb-emulator serve` in a child process, built from the same
  `Config`, where a test needs a process of its own.

All three are `EmulatorHandle`s: `base_url`, `control_headers`, `seed()`, `reset()`,
`accounts` (fresh `EmulatorUser`s, organizations, teams), `new_user()`, `graphql()`.
"""

from .accounts import Accounts, EmulatorUser
from .asgi import InProcessEmulator
from .handle import EmulatorHandle, InProcessHandle
from .ports import free_port, loopback_socket
from .process import EmulatorProcess
from .running import RunningEmulator

__all__ = [
    "Accounts",
    "EmulatorHandle",
    "EmulatorProcess",
    "EmulatorUser",
    "InProcessEmulator",
    "InProcessHandle",
    "RunningEmulator",
    "free_port",
    "loopback_socket",
]
