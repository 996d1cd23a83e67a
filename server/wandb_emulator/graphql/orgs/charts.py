"""CreateCustomChart: a custom chart preset saved in an entity."""

import strawberry

from ...domain import charts
from ..context import Info
from ..scalars import JSONString, json_object


@strawberry.input
class CreateCustomChartInput:
    entity: str
    name: str
    display_name: str
    type: str
    access: str
    spec: JSONString
    client_mutation_id: str | None = None


@strawberry.type
class CustomChart:
    id: strawberry.ID


@strawberry.type
class CreateCustomChartPayload:
    chart: CustomChart | None
    client_mutation_id: str | None = None


@strawberry.type
class CustomChartMutations:
    @strawberry.mutation(description="Save a custom chart preset; its id is `entity/name`.")
    async def create_custom_chart(
        self, info: Info, input: CreateCustomChartInput
    ) -> CreateCustomChartPayload | None:
        async with info.context.uow.write() as tx:
            chart_id = await charts.create_chart(
                tx,
                info.context.viewer,
                input.entity,
                input.name,
                input.display_name,
                input.type,
                input.access,
                json_object(input.spec, "spec") or "{}",
            )
        return CreateCustomChartPayload(
            chart=CustomChart(id=strawberry.ID(chart_id)),
            client_mutation_id=input.client_mutation_id,
        )
