"""Custom chart presets: a Vega spec saved under a name in an entity
(`api.create_custom_chart`), then named by `wandb.plot_table(vega_spec_name="ENTITY/NAME")`."""

from __future__ import annotations

import json

from .. import auth
from ..naming import check_name
from ..records import CustomChartRec, UserRec
from ..store import charts
from .errors import InvalidInput
from .projects import target_entity
from .unit import Tx

CHART_TYPES = ("vega2",)
CHART_ACCESS = ("PRIVATE", "PUBLIC")


def chart_id(entity_name: str, chart: CustomChartRec) -> str:
    """The id W&B gives a preset, the name `plot_table` takes: `entity/name`."""
    return f"{entity_name}/{chart.name}"


async def create_chart(
    tx: Tx,
    actor: UserRec,
    entity_name: str,
    name: str,
    display_name: str,
    chart_type: str,
    access: str,
    spec: str,
) -> str:
    """Save a preset in an entity the actor may create projects in; its id."""
    if chart_type not in CHART_TYPES:
        raise InvalidInput(f"a custom chart's type must be one of {', '.join(CHART_TYPES)}")
    if access not in CHART_ACCESS:
        raise InvalidInput(f"a custom chart's access must be one of {', '.join(CHART_ACCESS)}")
    if not isinstance(json.loads(spec), dict):
        raise InvalidInput("a custom chart's spec must be a JSON object")
    entity = await target_entity(tx.conn, actor, entity_name)
    await auth.check(tx.conn, actor, auth.Action.CREATE_PROJECTS_IN, entity)
    chart = await charts.create_chart(
        tx.conn,
        entity.id,
        check_name("custom chart", name),
        display_name,
        chart_type,
        access,
        spec,
        actor.id,
    )
    return chart_id(entity.name, chart)
