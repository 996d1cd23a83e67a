"""Changes to a run from outside its process: stopping it (StopRun), its state
(UpdateRunState), alerts (NotifyScriptableRunAlert), deleting its files (deleteFiles) and
the run itself (DeleteRun).

Deleting a run removes the run with its history, console and system lines, files (their
bytes are collected once nothing else references them), alerts, and its lineage rows
(what it used and logged). The artifact versions it created stay, with no creating run,
unless `delete_artifacts` is set: then each version it created is deleted as
`artifact.delete(delete_aliases=True)` deletes one, aliases and registry links included.
Versions it only logged again (created by another run) always stay. Automations are
unchanged; deliveries already made stay in the delivery log. A fork of the run keeps its
own rows and loses the source's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..ids import decode_id
from ..records import RunAlertRec, RunRec, UserRec
from ..store import artifacts, runs
from ..store.database import Conn
from .artifacts import delete_version
from .errors import InvalidInput
from .events import RunAlerted, RunDeleted
from .runs import announce_state, run_to_change, run_to_change_by_pk, writable_run
from .unit import Tx

ALERT_SEVERITIES = ("INFO", "WARN", "ERROR")

# UpdateRunState: the target state, and the states a run may be moved to it from
# (`Run.update_state` in the SDK).
STATE_TRANSITIONS = {
    "pending": frozenset({"running", "failed", "crashed", "preempted"}),
    "failed": frozenset({"pending", "running"}),
}


async def stop_run(tx: Tx, actor: UserRec, run_id: str) -> RunRec:
    """Flag a running run to stop; its process learns it from its next heartbeat.
    Stopping a run that no longer runs (or again) changes nothing."""
    _, run = await run_to_change(tx.conn, actor, run_id)
    if run.state == "running":
        await runs.request_stop(tx.conn, run.id)
    return run


async def update_run_state(tx: Tx, actor: UserRec, run_id: str, state: str) -> RunRec:
    _, run = await run_to_change(tx.conn, actor, run_id)
    allowed_from = STATE_TRANSITIONS.get(state)
    if allowed_from is None:
        targets = " or ".join(sorted(STATE_TRANSITIONS))
        raise InvalidInput(f"a run's state can only be set to {targets}, not {state!r}")
    if run.sweep_name:
        raise InvalidInput("the state of a sweep run cannot be updated")
    if run.state not in allowed_from:
        raise InvalidInput(
            f"cannot change the state of run {run.name!r} from {run.state} to {state}"
        )
    updated = await runs.set_state(tx.conn, run.id, state)
    announce_state(tx, actor, run, updated)
    return updated


async def notify_alert(
    tx: Tx,
    actor: UserRec,
    names: tuple[str, str, str],
    title: str,
    text: str,
    severity: str,
    wait_ms: int | None,
) -> RunAlertRec | None:
    """Record run.alert() on the run (entity, project, run names). As on W&B, an alert
    with the title of one sent less than that one's wait duration ago is not sent again:
    it is dropped (None)."""
    if severity not in ALERT_SEVERITIES:
        raise InvalidInput(f"alert severity must be one of {', '.join(ALERT_SEVERITIES)}")
    if wait_ms is not None and wait_ms < 0:
        raise InvalidInput("an alert's wait duration cannot be negative")
    run = await writable_run(tx.conn, actor, *names)
    if await _still_waiting(tx.conn, run, title):
        return None
    alert = await runs.add_alert(tx.conn, run.id, title, text, severity, wait_ms)
    tx.emit(
        RunAlerted(
            actor_id=actor.id,
            run_id=run.id,
            project_id=run.project_id,
            alert_id=alert.id,
            title=title,
            severity=severity,
        )
    )
    return alert


async def _still_waiting(conn: Conn, run: RunRec, title: str) -> bool:
    earlier = [a for a in await runs.alerts_of_run(conn, run.id) if a.title == title]
    if not earlier or not earlier[-1].wait_duration_ms:
        return False
    last = earlier[-1]
    sent = datetime.fromisoformat(last.created_at).replace(tzinfo=timezone.utc)
    assert last.wait_duration_ms is not None
    return datetime.now(timezone.utc) < sent + timedelta(milliseconds=last.wait_duration_ms)


def _run_file_id(file_id: str) -> tuple[int, str]:
    """A run file's id is the run's `RunFile` id, a colon, and the file's name."""
    run_part, separator, name = file_id.partition(":")
    if not separator or not name:
        raise InvalidInput(f"invalid file id: {file_id!r}")
    return decode_id(run_part, "RunFile"), name


async def delete_files(tx: Tx, actor: UserRec, file_ids: list[str]) -> int:
    """Delete run files by id; every file must be of a run the actor may change."""
    by_run: dict[int, list[str]] = {}
    for file_id in file_ids:
        run_id, name = _run_file_id(file_id)
        by_run.setdefault(run_id, []).append(name)
    deleted = 0
    for run_id, file_names in by_run.items():
        await run_to_change_by_pk(tx.conn, actor, run_id)
        deleted += await runs.delete_run_files(tx.conn, run_id, file_names)
    return deleted


async def delete_run(tx: Tx, actor: UserRec, run_id: str, *, delete_artifacts: bool) -> RunRec:
    _, run = await run_to_change(tx.conn, actor, run_id)
    if delete_artifacts:
        for artifact in await artifacts.artifacts_created_by_run(tx.conn, run.id):
            await delete_version(tx, actor, artifact)
    await runs.delete_run(tx.conn, run.id)
    tx.emit(RunDeleted(actor_id=actor.id, run_id=run.id, project_id=run.project_id, name=run.name))
    return run
