"""`wandb-emulator contract`: extraction from a package dir, classification, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wandb_emulator.contract.check import check_documents, classify, contract_report
from wandb_emulator.contract.extract import Document, package_documents, wandb_package_dir
from wandb_emulator.graphql.schema import build_schema

REGISTRY_DOC = "query FetchRegistry($entity: String) { entity(name: $entity) { id } }"
UNKNOWN_ARTIFACT_DOC = 'query ArtifactByID { artifact(id: "x") { notAField } }'


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wandb_emulator", *args], capture_output=True, text=True, timeout=120
    )


def fake_wandb(root: Path, *documents: str) -> Path:
    """A directory laid out like `pip install --target`: root/wandb with documents in it."""
    package = root / "wandb"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "9.9.9"\n')
    constants = "\n".join(f'DOC_{i} = """{doc}"""' for i, doc in enumerate(documents))
    (package / "ops.py").write_text(constants + "\n")
    return root


@pytest.mark.parametrize(
    ("name", "area"),
    [
        ("UpsertRegistry", "registry"),
        ("LinkArtifact", "registry"),
        ("DeleteArtifactPortfolio", "registry"),
        ("ArtifactCollectionMembershipFiles", "artifact"),  # 0.22.3 name
        ("UpdateArtifact", "artifact"),
        ("FetchOrgInfoFromEntity", "project/entity/user/org/team"),
        ("RunState", "run"),
        ("UpsertBucket", "run"),
        ("GetRunQueueItem", "launch"),
        ("UpsertSweep", "sweep"),
        ("SweepWithRuns", "sweep"),
        ("EnqueueSweepRun", "launch"),  # pushes to a launch queue
        ("CreateAutomation", "automation"),
        ("ProjectViews", "report"),
        ("ProbeServerCapabilities", "other"),
        ("ServerFeaturesQuery", "other"),
    ],
)
def test_operations_are_classified_by_name(name: str, area: str) -> None:
    assert classify(name) == area


def test_validation_against_the_server_schema() -> None:
    schema = build_schema()._schema
    docs = [Document("FetchRegistry", "query", "t", REGISTRY_DOC)]
    docs.append(Document("ArtifactByID", "query", "t", UNKNOWN_ARTIFACT_DOC))
    ok, bad = check_documents(docs, schema)
    assert ok.supported and ok.area == "registry"
    assert not bad.supported and bad.area == "artifact"
    assert bad.errors[0] == 'Cannot query field "notAField" on type "Artifact".'


def test_a_package_dir_is_read_without_importing_it(tmp_path: Path) -> None:
    root = fake_wandb(tmp_path, REGISTRY_DOC)
    assert wandb_package_dir(root) == root / "wandb"
    assert wandb_package_dir(root / "wandb") == root / "wandb"
    [doc] = package_documents(root / "wandb")
    assert (doc.name, doc.source) == ("FetchRegistry", "wandb/ops.py:1")
    report = contract_report(root / "wandb", build_schema()._schema)
    assert report.version == "9.9.9" and report.ok


def test_exit_status_fails_for_every_area_but_sweeps_and_launch(tmp_path: Path) -> None:
    good = fake_wandb(tmp_path / "good", REGISTRY_DOC, "query LaunchAgent { nope }")
    result = cli("contract", "--package-dir", str(good))
    assert result.returncode == 0, result.stdout
    assert "launch " in result.stdout and "LaunchAgent" in result.stdout

    run = fake_wandb(tmp_path / "run", "query RunState { nope }")
    result = cli("contract", "--package-dir", str(run))
    assert result.returncode == 1
    assert "FAIL: 1 operations of" in result.stdout and "run" in result.stdout

    bad = fake_wandb(tmp_path / "bad", UNKNOWN_ARTIFACT_DOC)
    result = cli("contract", "--json", "--package-dir", str(bad))
    assert result.returncode == 1
    [report] = json.loads(result.stdout)
    assert report["wandb_version"] == "9.9.9" and report["ok"] is False
    assert report["areas"]["artifact"] == {"supported": 0, "unsupported": 1}
    [failing] = report["failing"]
    assert (failing["name"], failing["source"]) == ("ArtifactByID", "wandb/ops.py:1")


def test_a_failing_sweep_operation_fails_the_check(tmp_path: Path) -> None:
    root = fake_wandb(tmp_path, "query GetSweeps { project { sweepsThatDoNotExist } }")
    result = cli("contract", "--package-dir", str(root))
    assert result.returncode == 1
    assert "sweep        GetSweeps" in result.stdout


def test_an_f_string_is_read_with_the_constants_it_interpolates(tmp_path: Path) -> None:
    root = fake_wandb(tmp_path)
    (root / "wandb" / "fragments.py").write_text(
        'FRAGMENT = "fragment F on Project { id }"\n'
        'QUERY = f"""query GetF {{ project(name: \\"p\\") {{ ...F }} }} {FRAGMENT}"""\n'
    )
    (document,) = package_documents(root / "wandb")
    assert document.name == "GetF"
    assert "fragment F on Project" in document.text
    [result] = check_documents([document], build_schema()._schema)
    assert result.supported, result.errors


def test_a_dir_without_wandb_is_refused(tmp_path: Path) -> None:
    result = cli("contract", "--package-dir", str(tmp_path))
    assert result.returncode == 2 and "no wandb package" in result.stderr


def test_the_installed_sdk_registry_workflow_is_supported() -> None:
    result = cli("contract", "--json")
    [report] = json.loads(result.stdout)
    assert report["wandb_version"] == "0.31.0"
    assert result.returncode == (0 if report["ok"] else 1)
    failing = {f["name"] for f in report["failing"]}
    workflow = {"FetchRegistry", "FetchRegistries", "UpsertRegistry", "RenameRegistry"}
    workflow |= {"CreateRegistryMembers", "RegistryUserMembers", "ServerFeaturesQuery"}
    assert not workflow & failing
    assert sum(area["supported"] for area in report["areas"].values()) >= 30


def test_fragments_appended_at_run_time_are_appended(tmp_path: Path) -> None:
    """The SDK builds documents as f-strings ending in a fragment constant of the module
    (`f"query RunFiles(...) {{...}} {FILE_FRAGMENT}"`): the extracted document gets the
    fragments it spreads, so its variables read as used, as on the wire."""
    package = tmp_path / "wandb"
    package.mkdir()
    (package / "__init__.py").write_text('__version__ = "9.9.9"\n')
    (package / "files.py").write_text(
        textwrap.dedent(
            """
            FRAGMENT = \"\"\"fragment RunFields on Run {
                name
                files(after: $cursor) { edges { cursor } }
            }\"\"\"


            def query():
                return f\"\"\"query RunFiles($project: String!, $name: String!, $cursor: String) {{
                    project(name: $project) {{ run(name: $name) {{ ...RunFields }} }}
                }}
                {FRAGMENT}\"\"\"
            """
        )
    )
    [doc] = package_documents(package)
    assert doc.name == "RunFiles" and "fragment RunFields on Run" in doc.text
    [result] = check_documents([doc], build_schema()._schema)
    assert result.supported, result.errors
