"""The panel's snapshot download and restore: a CSRF token on both forms, instance
admins only, and a refused upload changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ui_pages import CSRF, Ui, _ui

from wandb_emulator.ui import links

SNAPSHOT, RESTORE = f"{links.PANEL}/snapshot", f"{links.PANEL}/restore"


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[Ui]:
    yield from _ui(tmp_path)


def _csrf(ui: Ui) -> str:
    found = CSRF.search(ui.page(links.PANEL))
    assert found is not None
    return found.group(1)


def _usernames(ui: Ui) -> set[str]:
    async def read() -> set[str]:
        async with ui.emulator.db.read() as conn:
            return {row[0] for row in await conn.rows("SELECT username FROM users")}

    return ui.in_process.call(read())


def test_an_admin_downloads_a_snapshot_and_restores_it(ui: Ui) -> None:
    key = ui.emulator.default_user_key()
    assert key is not None
    ui.sign_in(key)
    csrf = _csrf(ui)
    assert ui.client.post(SNAPSHOT, data={"csrf": "forged"}).status_code == 403
    taken = ui.client.post(SNAPSHOT, data={"csrf": csrf})
    assert taken.status_code == 200
    assert taken.headers["content-type"] == "application/x-tar"
    assert taken.headers["content-disposition"].startswith("attachment; filename=")
    before = _usernames(ui)

    ui.in_process.call(ui.emulator.apply_seed({"users": [{"username": "later"}]}))
    file = {"snapshot": ("state.tar", taken.content, "application/x-tar")}
    forged = ui.client.post(RESTORE, data={"csrf": "forged"}, files=file)
    assert forged.status_code == 403
    junk = ui.client.post(RESTORE, data={"csrf": csrf}, files={"snapshot": ("x.tar", b"junk")})
    assert junk.status_code == 400 and "Snapshot not restored" in junk.text
    assert _usernames(ui) == before | {"later"}

    restored = ui.client.post(RESTORE, data={"csrf": csrf}, files=file)
    assert restored.status_code == 303
    assert restored.headers["location"] == f"{links.PANEL}?done=restored"
    assert _usernames(ui) == before


def test_snapshots_are_for_instance_admins_only(ui: Ui) -> None:
    ui.sign_in("alice-key")
    found = CSRF.search(ui.page("/"))
    assert found is not None
    assert ui.client.post(SNAPSHOT, data={"csrf": found.group(1)}).status_code == 404
    file = {"snapshot": ("state.tar", b"anything", "application/x-tar")}
    assert ui.client.post(RESTORE, data={"csrf": found.group(1)}, files=file).status_code == 404
