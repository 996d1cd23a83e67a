"""Mutations of the automations API: triggers, generic webhook integrations, team secrets."""

from typing import Any

import strawberry

from ...domain import automations as domain
from ..context import Info
from ..registries.mutations import SuccessPayload
from ..scalars import JSONString
from .types import (
    AlertSeverity,
    EventTriggeringConditionType,
    Integration,
    Trigger,
    TriggeredActionType,
    TriggerScopeType,
    integration_of,
)


@strawberry.input(name="ARIAActionInput")
class AriaActionInput:
    prompt: str


@strawberry.input
class GenericWebhookActionInput:
    integration_id: strawberry.ID = strawberry.field(name="integrationID")
    request_payload: JSONString | None = None


@strawberry.input
class NoOpTriggeredActionInput:
    no_op: bool | None = None


@strawberry.input
class NotificationActionInput:
    integration_id: strawberry.ID = strawberry.field(name="integrationID")
    title: str | None = None
    message: str | None = None
    severity: AlertSeverity | None = None


@strawberry.input
class PushNotificationActionInput:
    user_id: strawberry.ID = strawberry.field(name="userID")
    title: str | None = None
    body: str | None = None


@strawberry.input
class QueueJobActionInput:
    queue_id: strawberry.ID = strawberry.field(name="queueID")
    template: JSONString


@strawberry.input
class TriggeredActionConfig:
    aria_action_input: AriaActionInput | None = None
    generic_webhook_action_input: GenericWebhookActionInput | None = None
    no_op_action_input: NoOpTriggeredActionInput | None = None
    notification_action_input: NotificationActionInput | None = None
    push_notification_action_input: PushNotificationActionInput | None = None
    queue_job_action_input: QueueJobActionInput | None = None


@strawberry.input
class CreateFilterTriggerInput:
    name: str
    enabled: bool
    scope_type: TriggerScopeType
    scope_id: strawberry.ID = strawberry.field(name="scopeID")
    triggering_event_type: EventTriggeringConditionType
    event_filter: JSONString
    triggered_action_type: TriggeredActionType
    triggered_action_config: TriggeredActionConfig
    description: str | None = None
    client_mutation_id: str | None = None


@strawberry.input
class UpdateFilterTriggerInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    scope_type: TriggerScopeType | None = None
    scope_id: strawberry.ID | None = strawberry.field(name="scopeID", default=None)
    triggering_event_type: EventTriggeringConditionType | None = None
    event_filter: JSONString | None = None
    triggered_action_type: TriggeredActionType | None = None
    triggered_action_config: TriggeredActionConfig | None = None
    client_mutation_id: str | None = None


@strawberry.input
class DeleteTriggerInput:
    trigger_id: strawberry.ID = strawberry.field(name="triggerID")
    client_mutation_id: str | None = None


@strawberry.type
class CreateFilterTriggerPayload:
    trigger: Trigger | None
    client_mutation_id: str | None = None


@strawberry.type
class UpdateFilterTriggerPayload:
    trigger: Trigger | None
    client_mutation_id: str | None = None


@strawberry.type
class DeleteTriggerPayload:
    success: bool
    client_mutation_id: str | None = None


@strawberry.input
class CreateGenericWebhookIntegrationInput:
    entity_name: str
    name: str
    url_endpoint: str
    access_token_ref: str | None = None
    secret_ref: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class CreateGenericWebhookIntegrationPayload:
    integration: Integration
    client_mutation_id: str | None = None


@strawberry.input
class DeleteIntegrationInput:
    id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class InsertSecretInput:
    entity_name: str
    secret_name: str
    secret_value: str
    client_mutation_id: str | None = None


@strawberry.input
class DeleteSecretInput:
    entity_name: str
    secret_name: str
    client_mutation_id: str | None = None


def _config(config: TriggeredActionConfig | None) -> dict[str, Any] | None:
    """The action inputs as the domain reads them (schema field names)."""
    if config is None:
        return None
    out: dict[str, Any] = {}
    if (webhook := config.generic_webhook_action_input) is not None:
        out["genericWebhookActionInput"] = {
            "integrationID": webhook.integration_id,
            "requestPayload": webhook.request_payload,
        }
    if (notification := config.notification_action_input) is not None:
        out["notificationActionInput"] = {
            "integrationID": notification.integration_id,
            "title": notification.title,
            "message": notification.message,
            "severity": notification.severity.value if notification.severity else None,
        }
    if config.no_op_action_input is not None:
        out["noOpActionInput"] = {"noOp": True}
    return out


def _value(enum_value: Any) -> str | None:
    return None if enum_value is None else enum_value.value


def _trigger_input(
    input: CreateFilterTriggerInput | UpdateFilterTriggerInput,
) -> domain.TriggerInput:
    return domain.TriggerInput(
        name=input.name,
        description=input.description,
        enabled=input.enabled,
        scope_type=_value(input.scope_type),
        scope_id=input.scope_id,
        event_type=_value(input.triggering_event_type),
        event_filter=input.event_filter,
        action_type=_value(input.triggered_action_type),
        action_config=_config(input.triggered_action_config),
    )


@strawberry.type
class AutomationMutations:
    @strawberry.mutation
    async def create_filter_trigger(
        self, info: Info, input: CreateFilterTriggerInput
    ) -> CreateFilterTriggerPayload | None:
        ctx = info.context
        rec = await domain.create_trigger(ctx.uow, ctx.viewer, _trigger_input(input))
        return CreateFilterTriggerPayload(
            trigger=Trigger(rec=rec), client_mutation_id=input.client_mutation_id
        )

    @strawberry.mutation
    async def update_filter_trigger(
        self, info: Info, input: UpdateFilterTriggerInput
    ) -> UpdateFilterTriggerPayload | None:
        ctx = info.context
        rec = await domain.update_trigger(ctx.uow, ctx.viewer, input.id, _trigger_input(input))
        return UpdateFilterTriggerPayload(
            trigger=Trigger(rec=rec), client_mutation_id=input.client_mutation_id
        )

    @strawberry.mutation
    async def delete_trigger(
        self, info: Info, input: DeleteTriggerInput
    ) -> DeleteTriggerPayload | None:
        ctx = info.context
        await domain.delete_trigger(ctx.uow, ctx.viewer, input.trigger_id)
        return DeleteTriggerPayload(success=True, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation
    async def create_generic_webhook_integration(
        self, info: Info, input: CreateGenericWebhookIntegrationInput
    ) -> CreateGenericWebhookIntegrationPayload | None:
        ctx = info.context
        rec = await domain.create_webhook_integration(
            ctx.uow,
            ctx.viewer,
            input.entity_name,
            input.name,
            input.url_endpoint,
            access_token_ref=input.access_token_ref,
            secret_ref=input.secret_ref,
        )
        return CreateGenericWebhookIntegrationPayload(
            integration=integration_of(rec), client_mutation_id=input.client_mutation_id
        )

    @strawberry.mutation
    async def delete_integration(
        self, info: Info, input: DeleteIntegrationInput
    ) -> SuccessPayload | None:
        ctx = info.context
        await domain.delete_integration(ctx.uow, ctx.viewer, input.id)
        return SuccessPayload(success=True, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Create or replace a team secret; its value is write-only.")
    async def insert_secret(self, info: Info, input: InsertSecretInput) -> SuccessPayload | None:
        ctx = info.context
        await domain.insert_secret(
            ctx.uow, ctx.viewer, input.entity_name, input.secret_name, input.secret_value
        )
        return SuccessPayload(success=True, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation
    async def delete_secret(self, info: Info, input: DeleteSecretInput) -> SuccessPayload | None:
        ctx = info.context
        await domain.delete_secret(ctx.uow, ctx.viewer, input.entity_name, input.secret_name)
        return SuccessPayload(success=True, client_mutation_id=input.client_mutation_id)
