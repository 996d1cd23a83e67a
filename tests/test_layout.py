"""Object names of the W&B bucket layout (`layout.py`): run file names that a URL would
not carry as they are still get distinct objects of their own."""

from __future__ import annotations

import pytest

from wandb_emulator import layout

pytestmark = pytest.mark.fast


def test_artifact_objects_sit_in_their_versions_folder() -> None:
    md5 = "ab" * 16
    assert layout.artifact_file(3, 17, md5) == f"wandb_artifacts/3/17/{md5}"
    assert layout.manifest(3, 17) == "wandb_artifacts/3/17/wandb_manifest.json"
    first, second = layout.manifest_patch(3, 17), layout.manifest_patch(3, 17)
    assert first != second
    assert first.startswith("wandb_artifacts/3/17/wandb_manifest.patch.")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("output.log", "output.log"),
        ("media/images/a b.png", "media/images/a b.png"),
        ("../../escape.txt", "%2E%2E/%2E%2E/escape.txt"),
        ("./a.txt", "%2E/a.txt"),
        ("a//b", "a/%/b"),
        ("/abs", "%/abs"),
        ("100%.txt", "100%25.txt"),
        ("%2E%2E", "%252E%252E"),
    ],
)
def test_run_file_names_become_segments_no_client_rewrites(name: str, expected: str) -> None:
    assert layout.run_file(7, name) == f"wandb_runs/7/{expected}"


def test_distinct_run_file_names_get_distinct_objects() -> None:
    names = ["..", "%2E%2E", ".", "%2E", "", "%", "a/..", "a/%2E%2E", "a//b", "a/%/b"]
    objects = {layout.run_file(7, name) for name in names}
    assert len(objects) == len(names)
    assert all("/../" not in o and "/./" not in o and "//" not in o for o in objects)
