"""Artifact mutations, one module per workflow: saving, linking, editing."""
