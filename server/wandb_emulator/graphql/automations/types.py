"""Types of the automations API: triggers, their scopes, events and actions, integrations."""

import enum
import json
from typing import Annotated

import strawberry

from ...domain.reads import automations as automation_reads
from ...domain.reads.paging import Page
from ...records import IntegrationRec, ProjectRec, SecretRec, TriggerRec
from ..artifacts.types import ArtifactPortfolio, ArtifactSequence, collection_node
from ..context import Info
from ..fields import global_id_field, record_field, source_field
from ..orgs.types import Entity
from ..pagination import CountedConnection
from ..registries.types import Project
from ..runs.types import AlertSeverity
from ..scalars import DateTime, JSONString
from ..users.types import User


@strawberry.enum
class EventTriggeringConditionType(enum.Enum):
    ADD_ARTIFACT_ALIAS = "ADD_ARTIFACT_ALIAS"
    ADD_ARTIFACT_TAG = "ADD_ARTIFACT_TAG"
    ADD_COLLECTION_TAG = "ADD_COLLECTION_TAG"
    CREATE_ARTIFACT = "CREATE_ARTIFACT"
    LINK_MODEL = "LINK_MODEL"
    REMOVE_ARTIFACT_TAG = "REMOVE_ARTIFACT_TAG"
    REMOVE_COLLECTION_TAG = "REMOVE_COLLECTION_TAG"
    RUN_METRIC = "RUN_METRIC"
    RUN_METRIC_CHANGE = "RUN_METRIC_CHANGE"
    RUN_METRIC_ZSCORE = "RUN_METRIC_ZSCORE"
    RUN_STATE = "RUN_STATE"
    UNLINK_ARTIFACT = "UNLINK_ARTIFACT"
    UPDATE_ARTIFACT_ALIAS = "UPDATE_ARTIFACT_ALIAS"
    WEAVE_METRIC_THRESHOLD = "WEAVE_METRIC_THRESHOLD"


@strawberry.enum
class TriggerScopeType(enum.Enum):
    ARTIFACT_COLLECTION = "ARTIFACT_COLLECTION"
    ENTITY = "ENTITY"
    PROJECT = "PROJECT"


@strawberry.enum
class TriggeredActionType(enum.Enum):
    ARIA = "ARIA"
    GENERIC_WEBHOOK = "GENERIC_WEBHOOK"
    NOTIFICATION = "NOTIFICATION"
    NO_OP = "NO_OP"
    PUSH_NOTIFICATION = "PUSH_NOTIFICATION"
    QUEUE_JOB = "QUEUE_JOB"


# ------------------------------------------------------------------ integrations and secrets


@strawberry.type
class GenericWebhookIntegration:
    rec: strawberry.Private[IntegrationRec]

    id = global_id_field("Integration")
    name = record_field("name", str)
    created_at = record_field("created_at", DateTime)

    @source_field
    def url_endpoint(self) -> str:
        return self.rec.url or ""

    @source_field(description="The name of the team secret sent as the Bearer token.")
    def access_token_ref(self) -> str | None:
        return self.rec.access_token_ref

    @source_field(description="The name of a team secret the payload may use.")
    def secret_ref(self) -> str | None:
        return self.rec.secret_ref


@strawberry.type
class SlackIntegration:
    rec: strawberry.Private[IntegrationRec]

    id = global_id_field("Integration")
    created_at = record_field("created_at", DateTime)

    @source_field
    def team_name(self) -> str:
        return self.rec.slack_team or ""

    @source_field
    def channel_name(self) -> str:
        return self.rec.slack_channel or ""


Integration = Annotated[
    GenericWebhookIntegration | SlackIntegration, strawberry.union("Integration")
]


def integration_of(rec: IntegrationRec) -> GenericWebhookIntegration | SlackIntegration:
    if rec.kind == "SLACK":
        return SlackIntegration(rec=rec)
    return GenericWebhookIntegration(rec=rec)


@strawberry.type
class IntegrationConnection(CountedConnection[Integration]):
    @classmethod
    def of_integrations(cls, page: Page[IntegrationRec]) -> "IntegrationConnection":
        return cls.from_page(page, integration_of)


@strawberry.type(description="A team secret; its value is write-only.")
class Secret:
    rec: strawberry.Private[SecretRec]

    entity_id = record_field("entity_id", int)
    name = record_field("name", str)
    created_at = record_field("created_at", DateTime)


# ------------------------------------------------------------------ triggers


@strawberry.type
class FilterEventTriggeringCondition:
    event_type: EventTriggeringConditionType
    filter: JSONString


@strawberry.type
class RunQueue:
    id: strawberry.ID
    name: str


@strawberry.type(description="Launch jobs are not emulated; no trigger has this action.")
class QueueJobTriggeredAction:
    queue: RunQueue | None
    template: JSONString


@strawberry.type
class NotificationTriggeredAction:
    integration: Integration
    title: str | None
    message: str | None
    severity: AlertSeverity | None


@strawberry.type
class GenericWebhookTriggeredAction:
    integration: Integration
    request_payload: JSONString | None


@strawberry.type
class NoOpTriggeredAction:
    no_op: bool | None


@strawberry.type(name="ARIATriggeredAction", description="Not emulated; never returned.")
class AriaTriggeredAction:
    prompt: str


TriggeredAction = Annotated[
    QueueJobTriggeredAction
    | NotificationTriggeredAction
    | GenericWebhookTriggeredAction
    | NoOpTriggeredAction
    | AriaTriggeredAction,
    strawberry.union("TriggeredAction"),
]

TriggerScope = Annotated[
    Project | ArtifactPortfolio | ArtifactSequence | Entity, strawberry.union("TriggerScope")
]


async def _integration(info: Info, integration_id: int | None) -> Integration:
    rec = await automation_reads.integration(info.context.reads, integration_id)
    if rec is None:  # deleted since: keep the stub the SDK parses
        rec = IntegrationRec(0, 0, "GENERIC_WEBHOOK", "", "", None, None, None, None, None, "")
    return integration_of(rec)


@strawberry.type
class Trigger:
    rec: strawberry.Private[TriggerRec]

    id = global_id_field("Trigger")
    name = record_field("name", str)
    description = record_field("description", str | None)
    enabled = record_field("enabled", bool)
    created_at = record_field("created_at", DateTime)
    updated_at = record_field("updated_at", DateTime | None)

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        user = await automation_reads.trigger_creator(info.context.reads, self.rec)
        return User(rec=user) if user else None

    @strawberry.field
    async def scope(self, info: Info) -> TriggerScope:
        found = await automation_reads.trigger_scope(info.context.reads, self.rec)
        if isinstance(found, ProjectRec):
            return Project(rec=found)
        return collection_node(found)  # type: ignore[return-value]

    @source_field
    def triggering_condition(self) -> FilterEventTriggeringCondition:
        return FilterEventTriggeringCondition(
            event_type=EventTriggeringConditionType(self.rec.event_type),
            filter=JSONString(self.rec.event_filter),
        )

    @strawberry.field
    async def triggered_action(self, info: Info) -> TriggeredAction:
        config = json.loads(self.rec.action_config)
        if self.rec.action_type == "NO_OP":
            return NoOpTriggeredAction(no_op=True)
        integration = await _integration(info, self.rec.integration_id)
        if self.rec.action_type == "GENERIC_WEBHOOK":
            payload = config.get("requestPayload")
            return GenericWebhookTriggeredAction(
                integration=integration,
                request_payload=JSONString(payload) if payload is not None else None,
            )
        return NotificationTriggeredAction(
            integration=integration,
            title=config.get("title"),
            message=config.get("message"),
            severity=AlertSeverity(config.get("severity") or "INFO"),
        )


@strawberry.type
class TriggerConnection(CountedConnection[Trigger]):
    @classmethod
    def of_triggers(cls, page: Page[TriggerRec]) -> "TriggerConnection":
        return cls.from_page(page, lambda rec: Trigger(rec=rec))
