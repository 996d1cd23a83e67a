"""Several SDK processes writing at once: no lost writes, no "database is locked"."""

from __future__ import annotations

import textwrap

from conftest import OrgSetup, run_in_parallel

from wandb_emulator.testing import RunningEmulator

WORKER = textwrap.dedent(
    """
    import sys, wandb
    base_url, key, org, worker = sys.argv[1:5]
    api = wandb.Api(api_key=key, overrides={"base_url": base_url})
    for i in range(5):
        registry = api.create_registry(f"w{worker}-r{i}", "organization", organization=org)
        registry.description = f"saved by {worker}"
        registry.save()
    try:
        api.create_registry("contended", "organization", organization=org)
        print("created")
    except ValueError:
        print("refused")
    """
)


def test_parallel_sdk_processes(org_setup: OrgSetup, server: RunningEmulator) -> None:
    outcomes = run_in_parallel(
        WORKER,
        [[server.base_url, org_setup.admin.api_key, org_setup.org, str(n)] for n in range(4)],
    )
    assert outcomes.count("created") == 1, outcomes

    registries = list(org_setup.admin.api().registries(organization=org_setup.org))
    assert len(registries) == 4 * 5 + 1
    assert len({r.id for r in registries}) == len(registries)
    saved = [r for r in registries if r.name != "contended"]
    assert all(r.description == f"saved by {r.name[1]}" for r in saved)
