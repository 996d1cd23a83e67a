"""The emulator panel under /_emulator/ui: the request journal (newest first, filtered,
with details), fault rules, reset and seed, snapshots (download, restore from an
upload), and the automations' delivery log."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from .. import auth
from ..domain.reads import runs as run_reads
from ..faults import FaultSpecError
from ..journal import JournalEntry
from ..seeding import SEED_ERRORS, SeedError
from ..snapshots import SnapshotError, download_name
from . import links
from .contents import NotFound
from .view import Forbidden, View

JOURNAL_ROWS = 200
DELIVERY_ROWS = 100
ALERT_ROWS = 100
_INT_FIELDS = ("status", "latency_ms", "times")
_TEXT_FIELDS = ("operation", "path", "method", "error")
DONE = {
    "reset": "The emulator was reset: state wiped, default seed applied.",
    "seeded": "The seed was applied.",
    "fault-added": "The fault rule was added.",
    "fault-removed": "The fault rule was removed.",
    "faults-cleared": "Every fault rule was cleared.",
    "journal-cleared": "The journal was cleared.",
    "deliveries-cleared": "The delivery log was cleared.",
    "restored": "The snapshot was restored: the state is the snapshot's.",
}
UPLOAD_CHUNK = 1024 * 1024


async def _require_panel(view: View) -> None:
    if not view.ui.panel:
        raise NotFound("the emulator panel is off (serve --no-emulator-endpoints)")
    if view.viewer is None or not await view.reads.allows(auth.Action.CONTROL_EMULATOR, None):
        raise NotFound("the emulator panel is for instance admins: sign in with an admin's API key")


async def journal_entries(view: View) -> list[JournalEntry]:
    """The newest entries first, narrowed to one operation (or path) when asked."""
    wanted = view.request.query_params.get("operation", "").strip()
    entries = await view.emulator.journal.entries()
    if wanted:
        entries = [
            e for e in entries if e.operation == wanted or (not e.is_graphql and wanted in e.path)
        ]
    return entries[::-1][:JOURNAL_ROWS]


def _operations(entries: list[JournalEntry]) -> list[str]:
    return sorted({e.operation for e in entries if e.operation})


async def panel(view: View, error: str | None = None, status: int = 200) -> Response:
    await _require_panel(view)
    journal = view.emulator.journal
    alerts = await run_reads.recent_alerts(view.reads, ALERT_ROWS)
    return view.render(
        "panel.html",
        status=status,
        entries=await journal_entries(view),
        operations=_operations(await journal.entries()),
        operation=view.request.query_params.get("operation", ""),
        journal_size=journal.size,
        rules=await view.emulator.faults.rules(),
        deliveries=(await view.emulator.automations.deliveries.entries())[::-1][:DELIVERY_ROWS],
        alerts=alerts,
        done=DONE.get(view.request.query_params.get("done", "")),
        error=error,
    )


async def journal_rows(view: View) -> Response:
    """Just the journal's table body, for the panel's live refresh."""
    await _require_panel(view)
    return view.render("journal_rows.html", entries=await journal_entries(view))


def _done(code: str) -> str:
    return f"{links.PANEL}?done={code}"


def fault_spec(form: dict[str, str]) -> dict[str, Any]:
    """A fault rule from the panel's form: blank fields are left out, numbers parsed."""
    spec: dict[str, Any] = {
        key: form[key].strip() for key in _TEXT_FIELDS if form.get(key, "").strip()
    }
    for key in _INT_FIELDS:
        text = form.get(key, "").strip()
        if text:
            try:
                spec[key] = int(text)
            except ValueError:
                raise FaultSpecError(f"`{key}` must be a whole number") from None
    variables = form.get("variables", "").strip()
    if variables:
        try:
            spec["variables"] = json.loads(variables)
        except ValueError as exc:
            raise FaultSpecError(f"`variables` is not JSON: {exc}") from None
    return spec


async def add_fault(view: View) -> Response:
    await _require_panel(view)
    form = await view.form()
    try:
        await view.emulator.faults.add(**fault_spec(form))
    except FaultSpecError as exc:
        return await panel(view, f"Fault not added: {exc}", status=400)
    return view.redirect(_done("fault-added"))


async def remove_fault(view: View) -> Response:
    await _require_panel(view)
    await view.form()
    if not await view.emulator.faults.remove(view.request.path_params["rule_id"]):
        raise NotFound(f"no fault rule {view.request.path_params['rule_id']}")
    return view.redirect(_done("fault-removed"))


async def clear_faults(view: View) -> Response:
    await _require_panel(view)
    await view.form()
    await view.emulator.faults.clear()
    return view.redirect(_done("faults-cleared"))


async def clear_journal(view: View) -> Response:
    await _require_panel(view)
    await view.form()
    await view.emulator.journal.clear()
    return view.redirect(_done("journal-cleared"))


async def clear_deliveries(view: View) -> Response:
    await _require_panel(view)
    await view.form()
    await view.emulator.automations.deliveries.clear()
    return view.redirect(_done("deliveries-cleared"))


async def reset(view: View) -> Response:
    await _require_panel(view)
    await view.form()
    await view.emulator.reset()
    return view.redirect(_done("reset"))


async def seed(view: View) -> Response:
    await _require_panel(view)
    form = await view.form()
    try:
        document = json.loads(form.get("seed", ""))
        if not isinstance(document, dict):
            raise SeedError("the seed must be a JSON object")
        await view.emulator.apply_seed(document)
    except SEED_ERRORS as exc:
        return await panel(view, f"Seed not applied: {exc}", status=400)
    return view.redirect(_done("seeded"))


async def download_snapshot(view: View) -> Response:
    """A snapshot of the state, taken now, as a file to save."""
    await _require_panel(view)
    await view.form()
    directory = _scratch(view)
    try:
        await view.emulator.snapshot(directory / "snapshot.tar")
    except (SnapshotError, OSError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        return await panel(view, f"Snapshot not taken: {exc}", status=500)
    response = FileResponse(
        directory / "snapshot.tar",
        media_type="application/x-tar",
        filename=download_name(),
        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True),
    )
    return view.finish(response)


async def restore_snapshot(view: View) -> Response:
    """Replace the state with an uploaded snapshot (a multipart form with its CSRF token)."""
    await _require_panel(view)
    async with view.request.form(max_files=1, max_fields=4) as form:
        if not view.session.accepts(_text(form.get("csrf"))):
            raise Forbidden("the form's CSRF token is missing or stale; reload the page")
        upload = form.get("snapshot")
        if not isinstance(upload, UploadFile):
            return await panel(view, "Snapshot not restored: choose a snapshot file", status=400)
        directory = _scratch(view)
        try:
            archive = directory / "snapshot.tar"
            with archive.open("wb") as out:
                while chunk := await upload.read(UPLOAD_CHUNK):
                    out.write(chunk)
            await view.emulator.restore(archive)
        except (SnapshotError, OSError) as exc:
            return await panel(view, f"Snapshot not restored: {exc}", status=400)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    return view.redirect(_done("restored"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _scratch(view: View) -> Path:
    """A temporary directory beside the data (the same file system as the blob store)."""
    return Path(tempfile.mkdtemp(prefix=".panel-", dir=view.emulator.config.data_dir))
