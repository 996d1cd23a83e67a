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
