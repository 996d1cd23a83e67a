from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

# Advertise a feature only when the emulator implements what it promises; the SDK
# takes different code paths depending on this list.
ENABLED_FEATURES: tuple[str, ...] = (
    "ARTIFACT_REGISTRY_SEARCH",
    "INCLUDE_ARTIFACT_TYPES_IN_REGISTRY_CREATION",
    "ARTIFACT_MEMBERSHIP_IN_LINK_ARTIFACT_RESPONSE",
    "ARTIFACT_COLLECTIONS_FILTERING_SORTING",
    "ARTIFACT_TAGS",
    "ARTIFACT_DIGEST_ALGORITHM",
    "TOTAL_COUNT_IN_FILE_CONNECTION",
    "FILESTREAM_GZIP",
    "MARK_RUN_FILES_UPLOADED",
    "USE_ARTIFACT_WITH_ENTITY_AND_PROJECT_INFORMATION",
    # Automations: every event type, the no-op action, and listing by entity.
    "AUTOMATION_EVENT_RUN_METRIC",
    "AUTOMATION_EVENT_RUN_METRIC_CHANGE",
    "AUTOMATION_EVENT_RUN_METRIC_ZSCORE",
    "AUTOMATION_EVENT_RUN_STATE",
    "AUTOMATION_EVENT_ADD_ARTIFACT_TAG",
    "AUTOMATION_EVENT_REMOVE_ARTIFACT_TAG",
    "AUTOMATION_EVENT_ADD_COLLECTION_TAG",
    "AUTOMATION_EVENT_REMOVE_COLLECTION_TAG",
    "AUTOMATION_EVENT_UNLINK_ARTIFACT",
    "AUTOMATION_ACTION_NO_OP",
    "QUERY_AUTOMATIONS_ON_ENTITY",
)


@strawberry.type
class ServerFeature:
    name: str
    is_enabled: bool


@strawberry.type
class ServerInfo:
    @strawberry.field
    def features(self) -> list[ServerFeature]:
        return [ServerFeature(name=name, is_enabled=True) for name in ENABLED_FEATURES]

    @strawberry.field(description="`wandb verify` reads this; no version bounds are imposed.")
    def cli_version_info(self) -> JSON:
        return JSON({})
