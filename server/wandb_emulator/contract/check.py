"""`wandb-emulator contract`: which GraphQL documents of a wandb SDK the emulator's schema accepts.

Every document is validated against the schema the server runs (graphql-core's
`validate`), grouped by area, and reported as a table or as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, parse, validate

from ..graphql.errors import w_and_b_message
from .extract import Document, package_documents, package_version

AREAS = (
    "registry",
    "artifact",
    "run",
    "project/entity/user/org/team",
    "sweep",
    "launch",
    "automation",
    "report",
    "other",
)
# A failing operation of these areas makes the check fail: every area but launch, which
# is not emulated.
REQUIRED_AREAS = frozenset(
    {
        "registry",
        "artifact",
        "automation",
        "run",
        "project/entity/user/org/team",
        "sweep",
        "report",
        "other",
    }
)

# Operation names of 0.31.0 whose area (as listed in shared/sdk-contract/ops-summary.md)
# the keywords below would get wrong or not find. Names listed there under two areas
# (RunState, UpdateArtifact) go to the first, which the keywords already find.
_KNOWN_NAMES: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "registry",
        frozenset(
            [
                "CreateRegistryMembers",
                "DeleteArtifactPortfolio",
                "DeleteRegistry",
                "DeleteRegistryMembers",
                "FetchAdvancedRegistryFeatures",
                "FetchLinkedArtifacts",
                "FetchOrgEntityFromEntity",
                "FetchRegistries",
                "FetchRegistry",
                "LinkArtifact",
                "RegistryCollections",
                "RegistryTeamMembers",
                "RegistryUserMembers",
                "RegistryVersions",
                "RenameRegistry",
                "UnlinkArtifact",
                "UpdateArtifactPortfolio",
                "UpdateTeamRegistryRole",
                "UpdateUserRegistryRole",
                "UpsertRegistry",
            ]
        ),
    ),
    (
        "project/entity/user/org/team",
        frozenset(
            [
                "CreateInvite",
                "CreateProject",
                "CreateServiceAccount",
                "CreateTeam",
                "CreateUserFromAdmin",
                "DeleteApiKey",
                "DeleteInvite",
                "FetchOrgInfoFromEntity",
                "FetchOrganization",
                "GenerateApiKey",
                "GetDefaultEntity",
                "GetProject",
                "GetProjects",
                "GetTeamEntity",
                "GetViewer",
                "IsProjectReadOnly",
                "OrgFeatureFlags",
                "OrganizationCoreWeaveOrganizationID",
                "SearchUsers",
                "Viewer",
            ]
        ),
    ),
    (
        "launch",
        frozenset(
            [
                "ArtifactOfType",
                "CreateDefaultResourceConfig",
                # Sweep.enqueue_run and the local sweep scheduler push to a launch queue.
                "EnqueueSweepRun",
                "EntityIsTeam",
                "GetDefaultResourceConfig",
                "LaunchAgent",
                "RunStoppedStatus",
                "ackRunQueueItem",
                "createLaunchAgent",
                "failRunQueueItem",
                "popFromRunQueue",
                "pushToRunQueue",
                "pushToRunQueueByName",
                "updateLaunchAgent",
                "updateRunQueueItemWarning",
            ]
        ),
    ),
    ("sweep", frozenset(["CreateAgent", "GetAgentRuns", "Heartbeat"])),
    ("report", frozenset({"ProjectViews"})),
    ("run", frozenset(["UpsertBucket", "deleteFiles", "HistoryPage", "SampledHistoryPage"])),
    ("other", frozenset(["CreateCustomChart", "EvalTableProjectScope", "Project", "ServerInfo"])),
)
# Names not listed above (other SDK versions) are classified by the words they contain,
# in this order.
_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("other", ("Probe",)),  # 0.22.3's introspection probes of server capabilities
    ("registry", ("Registry", "Registries", "Portfolio")),
    ("launch", ("RunQueue", "Launch", "Job")),
    ("sweep", ("Sweep",)),
    ("automation", ("Automation", "Trigger", "Integration")),
    ("report", ("Report", "View")),
    ("artifact", ("Artifact", "Alias", "Manifest", "ClientID", "Digest")),
    ("run", ("Run", "History", "File", "ConsoleLog")),
    ("project/entity/user/org/team", ("Project", "Entity", "User", "Org", "Team", "Viewer")),
)


def classify(name: str) -> str:
    """The area of an operation, by its name."""
    for area, names in _KNOWN_NAMES:
        if name in names:
            return area
    for area, words in _KEYWORDS:
        if any(word.lower() in name.lower() for word in words):
            return area
    return "other"


@dataclass(frozen=True)
class CheckResult:
    document: Document
    area: str
    errors: tuple[str, ...]

    @property
    def supported(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.document.name,
            "kind": self.document.kind,
            "source": self.document.source,
            "area": self.area,
            "supported": self.supported,
            "errors": list(self.errors),
        }


def check_documents(documents: Iterable[Document], schema: GraphQLSchema) -> list[CheckResult]:
    results = []
    for document in documents:
        errors = validate(schema, parse(document.text))
        messages = tuple(w_and_b_message(error.message) for error in errors)
        results.append(CheckResult(document, classify(document.name), messages))
    return results


@dataclass(frozen=True)
class ContractReport:
    version: str
    package_dir: Path
    results: Sequence[CheckResult]

    @property
    def failing(self) -> list[CheckResult]:
        return [result for result in self.results if not result.supported]

    @property
    def required_failures(self) -> list[CheckResult]:
        return [result for result in self.failing if result.area in REQUIRED_AREAS]

    @property
    def ok(self) -> bool:
        return not self.required_failures

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {area: {"supported": 0, "unsupported": 0} for area in AREAS}
        for result in self.results:
            counts[result.area]["supported" if result.supported else "unsupported"] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "wandb_version": self.version,
            "package_dir": str(self.package_dir),
            "ok": self.ok,
            "areas": self.counts(),
            "failing": [result.to_json() for result in self.failing],
        }

    def render(self) -> str:
        lines = [f"wandb {self.version} ({self.package_dir}): {len(self.results)} documents", ""]
        lines.append(f"{'area':<30} {'supported':>9} {'unsupported':>11}")
        total_ok = total_bad = 0
        for area, count in self.counts().items():
            lines.append(f"{area:<30} {count['supported']:>9} {count['unsupported']:>11}")
            total_ok, total_bad = total_ok + count["supported"], total_bad + count["unsupported"]
        lines.append(f"{'total':<30} {total_ok:>9} {total_bad:>11}")
        if self.failing:
            lines += ["", "failing operations (area, name, source, first error):"]
            for result in sorted(
                self.failing, key=lambda r: (AREAS.index(r.area), r.document.name)
            ):
                doc = result.document
                lines.append(f"  {result.area:<12} {doc.name:<36} {doc.source}: {result.errors[0]}")
        required = ", ".join(area for area in AREAS if area in REQUIRED_AREAS)
        verdict = f"FAIL: {len(self.required_failures)} operations of {required} not supported"
        lines += ["", "OK" if self.ok else verdict]
        return "\n".join(lines)


def contract_report(package_dir: Path, schema: GraphQLSchema) -> ContractReport:
    results = check_documents(package_documents(package_dir), schema)
    return ContractReport(package_version(package_dir), package_dir, results)


def report_json(reports: Sequence[ContractReport]) -> str:
    return json.dumps([report.to_json() for report in reports], indent=2)
