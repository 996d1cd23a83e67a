"""wandb-emulator: an offline, stateful stand-in for the W&B backend."""

__version__ = "0.1.0"
