import strawberry
from strawberry.scalars import JSON

from ... import __version__
from ..fields import source_field

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
    # project.sweeps(filters=...): Project.sweeps takes a runs-style filter.
    "SWEEPS_QUERY_FILTERING",
)

# The SDK versions this server speaks to. Older SDKs treat a missing max_cli_version as
# "a server that cannot take client IDs" and re-ask on every Table they log; the max is
# one no released SDK reaches, so `wandb verify` and the SDK never ask to downgrade.
CLI_VERSION_INFO = {"min_cli_version": "0.11.0", "max_cli_version": "999.0.0"}


@strawberry.type
class ServerFeature:
    name: str
    is_enabled: bool


@strawberry.type(description="The version of this server and the newest one available.")
class LocalVersionInfo:
    out_of_date: bool
    latest_version_string: str
    version_on_this_instance_string: str


@strawberry.type
class ServerInfo:
    @source_field
    def features(self) -> list[ServerFeature]:
        return [ServerFeature(name=name, is_enabled=True) for name in ENABLED_FEATURES]

    @source_field(description="`min_cli_version` and `max_cli_version` the server accepts.")
    def cli_version_info(self) -> JSON:
        return JSON(dict(CLI_VERSION_INFO))

    @source_field(description="The emulator is always its own latest version.")
    def latest_local_version_info(self) -> LocalVersionInfo:
        return LocalVersionInfo(
            out_of_date=False,
            latest_version_string=__version__,
            version_on_this_instance_string=__version__,
        )
