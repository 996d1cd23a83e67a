"""Domain events seen by a subscriber while the real SDK logs, links, edits and unlinks an
artifact in a run: each change announced once, after commit; refusals announce nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import wandb
from conftest import RunningEmulator
from wandb.errors import CommError

from wandb_emulator.domain import events as ev
from wandb_emulator.testing import EmulatorUser

# The events of this part of the domain (registry and membership events are another's).
ARTIFACT_AND_RUN_EVENTS = (
    ev.AliasAdded,
    ev.AliasRemoved,
    ev.ArtifactCommitted,
    ev.ArtifactCreated,
    ev.ArtifactDeleted,
    ev.ArtifactLinked,
    ev.ArtifactTagAdded,
    ev.ArtifactTagRemoved,
    ev.ArtifactUnlinked,
    ev.CollectionTagAdded,
    ev.CollectionTagRemoved,
    ev.RunHistoryLogged,
    ev.RunStateChanged,
)


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    async def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ARTIFACT_AND_RUN_EVENTS):
            self.events.append(event)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[RunningEmulator, Recorder]]:
    running = RunningEmulator(tmp_path / "data")
    recorder = Recorder()
    running.subscribe(recorder)
    with running:
        yield running, recorder


def _describe(events: list[ev.Event]) -> list[tuple[str, ...]]:
    """Events as (type, where, detail): `where` names the collection (seq: the logged
    sequence, reg: the registry collection), `detail` the alias, tag, state or version."""
    where: dict[int, str] = {}
    described = []
    for event in events:
        if isinstance(event, ev.ArtifactCreated):
            where[event.collection_id] = "seq"
        if isinstance(event, ev.ArtifactLinked):
            where[event.collection_id] = "reg"
        collection = getattr(event, "collection_id", None)
        detail = next(
            str(getattr(event, name))
            for name in ("alias", "tag", "state", "version_index", "artifact_id")
            if hasattr(event, name)
        )
        described.append((type(event).__name__, where.get(collection, "run"), detail))
    return described


def _log_model(user: EmulatorUser, tmp_path: Path, recorder: Recorder) -> None:
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url)
    with wandb.init(entity=user.team, project="events", settings=settings) as run:
        run.log({"loss": 0.5})
        run.log({"loss": 0.25})
        Path(tmp_path, "model.pt").write_bytes(b"weights")
        artifact = wandb.Artifact("weights", type="model")
        artifact.add_file(str(tmp_path / "model.pt"))
        run.log_artifact(artifact, aliases=["candidate"])
        artifact.wait()
        run.link_artifact(artifact, "wandb-registry-models/events", aliases=["staging"])

        linked = user.api().artifact("wandb-registry-models/events:v0")
        linked.aliases.remove("staging")
        linked.aliases.append("prod")
        linked.save()
        source = user.api().artifact(f"{user.team}/events/weights:v0")
        source.tags.append("best")
        source.save()
        user.api().artifact("wandb-registry-models/events:prod").unlink()


def test_an_sdk_session_announces_each_change_once(
    emulator: tuple[RunningEmulator, Recorder], tmp_path: Path
) -> None:
    running, recorder = emulator
    user = running.new_user()
    user.api().create_registry("models", "organization", organization=user.organization)
    _log_model(user, tmp_path, recorder)

    history = [e for e in recorder.events if isinstance(e, ev.RunHistoryLogged)]
    assert [row["loss"] for e in history for row in e.rows] == [0.5, 0.25]
    rest = [e for e in recorder.events if not isinstance(e, ev.RunHistoryLogged)]
    assert _describe(rest) == [
        ("RunStateChanged", "run", "running"),
        ("ArtifactCreated", "seq", str(rest[1].artifact_id)),
        ("ArtifactCommitted", "seq", "0"),
        ("AliasAdded", "seq", "candidate"),
        ("AliasAdded", "seq", "latest"),
        ("ArtifactLinked", "reg", "0"),
        ("AliasAdded", "reg", "latest"),
        ("AliasAdded", "reg", "staging"),
        ("AliasAdded", "reg", "prod"),  # the SDK adds before it deletes
        ("AliasRemoved", "reg", "staging"),
        ("ArtifactTagAdded", "seq", "best"),
        ("ArtifactUnlinked", "reg", str(rest[1].artifact_id)),
        ("AliasRemoved", "reg", "latest"),
        ("AliasRemoved", "reg", "prod"),
        ("RunStateChanged", "run", "finished"),
    ]
    assert len({e.actor_id for e in recorder.events}) == 1
    assert {e.artifact_id for e in rest if hasattr(e, "artifact_id")} == {rest[1].artifact_id}
    linked = next(e for e in rest if isinstance(e, ev.ArtifactLinked))
    assert linked.aliases == ("staging",)


def test_refused_operations_announce_nothing(
    emulator: tuple[RunningEmulator, Recorder], tmp_path: Path
) -> None:
    running, recorder = emulator
    user = running.new_user()
    api = user.api()
    api.create_registry("models", "organization", organization=user.organization)
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url)
    with wandb.init(entity=user.team, project="refusals", settings=settings) as run:
        Path(tmp_path, "data.csv").write_bytes(b"a,b")
        artifact = wandb.Artifact("table", type="dataset")
        artifact.add_file(str(tmp_path / "data.csv"))
        run.log_artifact(artifact, aliases=["keep"])
        artifact.wait()
    before = list(recorder.events)
    source = api.artifact(f"{user.team}/refusals/table:v0")
    with pytest.raises(CommError, match="assigned by the server"):
        source.link("wandb-registry-models/tables", aliases=["v7"])  # refused after writing
    with pytest.raises(CommError, match="cannot delete an artifact with aliases"):
        api.artifact(f"{user.team}/refusals/table:v0").delete()
    assert recorder.events == before
    assert set(api.artifact(f"{user.team}/refusals/table:v0").aliases) == {"keep", "latest"}


def test_tags_and_deletion_are_announced(
    emulator: tuple[RunningEmulator, Recorder], tmp_path: Path
) -> None:
    running, recorder = emulator
    user = running.new_user()
    api = user.api()
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url)
    with wandb.init(entity=user.team, project="tags", settings=settings) as run:
        for content in (b"first", b"second"):
            Path(tmp_path, "data.csv").write_bytes(content)
            artifact = wandb.Artifact("table", type="dataset")
            artifact.add_file(str(tmp_path / "data.csv"))
            run.log_artifact(artifact, aliases=["keep"])
            artifact.wait()
    mark = len(recorder.events)
    collection = api.artifact(f"{user.team}/tags/table:latest").collection
    collection.tags = ["shared"]
    collection.save()
    collection.tags = []
    collection.save()
    newest = api.artifact(f"{user.team}/tags/table:v1")
    newest.tags = ["golden"]
    newest.save()
    newest = api.artifact(f"{user.team}/tags/table:v1")
    newest.tags = []
    newest.save()
    api.artifact(f"{user.team}/tags/table:v1").delete(delete_aliases=True)

    described = _describe(recorder.events[mark:])
    v1 = str(next(e for e in recorder.events if isinstance(e, ev.ArtifactDeleted)).artifact_id)
    assert [(kind, detail) for kind, _, detail in described] == [
        ("CollectionTagAdded", "shared"),
        ("CollectionTagRemoved", "shared"),
        ("ArtifactTagAdded", "golden"),
        ("ArtifactTagRemoved", "golden"),
        ("ArtifactDeleted", v1),
        ("AliasRemoved", "keep"),
        ("AliasRemoved", "latest"),
        ("AliasAdded", "latest"),  # back on v0
    ]
    assert api.artifact(f"{user.team}/tags/table:latest").version == "v0"
