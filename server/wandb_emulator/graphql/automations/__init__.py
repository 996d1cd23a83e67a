"""Automations: integrations, team secrets and triggers (the schema of W&B's automations API)."""
