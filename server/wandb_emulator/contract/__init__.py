"""Contract checks of the installed wandb SDK against the emulator's schema."""
