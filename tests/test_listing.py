"""The listing pipeline pages in SQL: a page reads `first + 1` rows wherever it is in the
cursor chain, however large the collection (rows counted through the store layer)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest
from conftest import RunningEmulator

from wandb_emulator.domain.events import EventBus
from wandb_emulator.domain.reads.collections import collection_document, version_document
from wandb_emulator.domain.reads.projects import project_document
from wandb_emulator.domain.reads.runs import run_document
from wandb_emulator.domain.unit import UnitOfWork
from wandb_emulator.filters import FilterError
from wandb_emulator.records import ArtifactRec, CollectionRec, MembershipRec, ProjectRec, RunRec
from wandb_emulator.seeding import apply_seed
from wandb_emulator.store import accounts, artifacts, bulk, listing, projects, runs
from wandb_emulator.store.database import Database
from wandb_emulator.store.listing import Order, Where

SIZES = (30, 300)


def _seed(user: str, org: str, team: str, registries: list[str]) -> dict:
    admin = [{"username": user, "role": "admin"}]
    return {
        "users": [{"username": user}],
        "organizations": [{"name": org, "orgEntityName": f"{org}-entity", "members": admin}],
        "teams": [{"name": team, "organization": org, "members": admin}],
        "registries": [{"name": name, "organization": org} for name in registries],
    }


async def _link(db: Database, user: str, org: str, team: str, sizes: tuple[int, ...]) -> dict:
    """Registry `r<N>` with a collection `models` of N linked versions, for each N."""
    portfolios = {}
    async with db.write() as conn:
        owner = await accounts.user_by_username(conn, user)
        source = await projects.create_project(
            conn, (await accounts.require_entity(conn, team)).id, "src"
        )
        org_entity = await accounts.require_entity(conn, f"{org}-entity")
        for n in sizes:
            registry = await projects.project_by_name(conn, org_entity.id, f"wandb-registry-r{n}")
            assert owner is not None and registry is not None
            portfolios[n] = await bulk.linked_versions(
                conn,
                source_project_id=source.id,
                registry_project_id=registry.id,
                type_name="model",
                sequence_name=f"seq-{n}",
                portfolio_name="models",
                count=n,
                user_id=owner.id,
                aliases={n - 3: "late"},
            )
    return portfolios


async def _store_pages(tmp_path: Path) -> dict:
    db = Database(tmp_path / "listing.sqlite3")
    await db.open()
    try:
        await apply_seed(UnitOfWork(db, EventBus()), _seed("u", "o", "t", [f"r{n}" for n in SIZES]))
        portfolios = await _link(db, "u", "o", "t", SIZES)
        found: dict = {}
        async with db.read() as conn:
            for n, portfolio in portfolios.items():
                scope = artifacts.memberships_where([portfolio.id])
                for order in ("membership", "-version"):
                    sort = Order.parse(artifacts.MEMBERSHIPS, order)
                    first = await listing.page(
                        conn, artifacts.MEMBERSHIPS, scope, order=sort, first=10, after=None
                    )
                    everything = await listing.page(
                        conn, artifacts.MEMBERSHIPS, scope, order=sort, first=n, after=None
                    )
                    deep_cursor = everything.items[n - 12][0]
                    deep = await listing.page(
                        conn, artifacts.MEMBERSHIPS, scope, order=sort, first=10, after=deep_cursor
                    )
                    found[n, order] = (first, deep, [m for _, m in everything.items])
                in_sql, rest = listing.split_filter(
                    artifacts.MEMBERSHIPS, {"version_index": {"$in": [3, 5]}}
                )
                assert not rest
                picked = await listing.page(
                    conn,
                    artifacts.MEMBERSHIPS,
                    scope & in_sql,
                    order=Order.parse(artifacts.MEMBERSHIPS, None),
                    first=10,
                    after=None,
                )
                found[n, "picked"] = picked
    finally:
        await db.close()
    return found


def test_a_page_reads_first_plus_one_rows_wherever_it_is(tmp_path: Path) -> None:
    found = asyncio.run(_store_pages(tmp_path))
    for n in SIZES:
        for order in ("membership", "-version"):
            first, deep, everything = found[n, order]
            assert [m for _, m in first.items] == everything[:10]
            assert first.has_next and first.rows_read == 11
            assert [m for _, m in deep.items] == everything[n - 11 : n - 1]
            assert deep.has_next and deep.rows_read == 11
        indexes = [m.version_index for m in found[n, "-version"][2]]
        assert indexes == sorted(indexes, reverse=True) == list(range(n - 1, -1, -1))
        picked = found[n, "picked"]
        assert [m.version_index for _, m in picked.items] == [3, 5]
        assert picked.rows_read == 2 and not picked.has_next


def test_bad_cursors_and_orders_are_client_errors() -> None:
    with pytest.raises(FilterError, match="invalid cursor"):
        listing.decode_cursor("bm90IGEgY3Vyc29y")
    with pytest.raises(FilterError, match="cannot order by"):
        Order.parse(artifacts.MEMBERSHIPS, "-colour")
    for sql_regexp in (True, False):
        with pytest.raises(FilterError, match="invalid \\$regex"):
            listing.split_filter(
                artifacts.COLLECTIONS, {"name": {"$regex": "("}}, sql_regexp=sql_regexp
            )
    cursor = listing.encode_cursor("2026-01-01T00:00:00", 7)
    assert listing.decode_cursor(cursor) == ("2026-01-01T00:00:00", 7)
    assert Where("a = ?", (1,)) & Where() == Where("(a = ?)", (1,))


def test_a_cursor_of_one_order_is_refused_by_an_order_of_other_keys() -> None:
    by_loss = Order.parse(runs.RUNS, "-summary_metrics.loss")
    by_time = Order.parse(runs.RUNS, "created_at")
    assert by_loss.values([0, 1.5, ""]) == (0, 1.5, "")
    for order, value in ((by_loss, "2026-01-01"), (by_loss, [0, 1]), (by_time, [0, 1.5, ""])):
        with pytest.raises(FilterError, match="belongs to another order"):
            order.values(value)
    with pytest.raises(FilterError, match="cannot order by the JSON key"):
        Order.parse(runs.RUNS, 'config.a"b')


REGISTRY_VERSIONS = """
query RegistryVersions($organization: String!, $registryFilter: JSONString,
    $artifactFilter: JSONString, $cursor: String, $perPage: Int) {
  organization(name: $organization) { orgEntity { artifactMemberships(
      projectFilters: $registryFilter, filters: $artifactFilter, after: $cursor,
      first: $perPage) {
    pageInfo { endCursor hasNextPage }
    edges { node { versionIndex aliases { alias } artifact { id versionIndex }
      artifactCollection { name project { name } } } }
  } } }
}"""


async def _forget_reads(db: Database) -> None:
    """What a COMMIT does to the reader's caches (results, loaded records)."""
    db.results.invalidate()


def test_rows_read_by_a_registry_page_do_not_grow_with_the_registry(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "data") as running:
        user = running.new_user()
        running.seed(_seed(user.username, user.organization, user.team, [f"r{n}" for n in SIZES]))
        running.call(_link(running.emulator.db, user.username, user.organization, user.team, SIZES))
        reads: dict[int, list[int]] = {}
        with httpx.Client(base_url=running.base_url, auth=("api", user.api_key)) as client:
            for n in SIZES:
                cursor = None
                for filters in ("{}", "{}", '{"alias": "late"}'):
                    running.call(_forget_reads(running.emulator.db))  # every page read cold
                    before = running.emulator.db.rows_read
                    variables = {
                        "organization": user.organization,
                        "registryFilter": f'{{"name": "wandb-registry-r{n}"}}',
                        "artifactFilter": filters,
                        "cursor": cursor if filters == "{}" else None,
                        "perPage": 10,
                    }
                    answer = client.post(
                        "/graphql", json={"query": REGISTRY_VERSIONS, "variables": variables}
                    ).json()
                    assert "errors" not in answer, answer
                    page = answer["data"]["organization"]["orgEntity"]["artifactMemberships"]
                    reads.setdefault(n, []).append(running.emulator.db.rows_read - before)
                    if filters == "{}":
                        assert len(page["edges"]) == 10 and page["pageInfo"]["hasNextPage"]
                        cursor = page["pageInfo"]["endCursor"]
                    else:
                        assert [e["node"]["versionIndex"] for e in page["edges"]] == [n - 3]
        first_page, second_page, _ = reads[SIZES[0]]
        assert reads[SIZES[1]][:2] == [first_page, second_page]


async def _pages_across_collections(tmp_path: Path) -> list:
    db = Database(tmp_path / "partitions.sqlite3")
    await db.open()
    try:
        await apply_seed(UnitOfWork(db, EventBus()), _seed("u", "o", "t", ["multi"]))
        found = []
        async with db.write() as conn:
            source = await projects.create_project(
                conn, (await accounts.require_entity(conn, "t")).id, "src"
            )
            registry = await projects.project_by_name(
                conn, (await accounts.require_entity(conn, "o-entity")).id, "wandb-registry-multi"
            )
            assert registry is not None
            portfolios = [
                await bulk.linked_versions(
                    conn,
                    source_project_id=source.id,
                    registry_project_id=registry.id,
                    type_name="model",
                    sequence_name=f"seq-{name}",
                    portfolio_name=name,
                    count=count,
                    user_id=1,
                )
                for name, count in (("a", 7), ("b", 20), ("c", 4))
            ]
        scope = artifacts.memberships_where([p.id for p in portfolios])
        assert len(scope.partitions) == 3
        async with db.read() as conn:
            for order in ("membership", "-version", "created_at"):
                sort = Order.parse(artifacts.MEMBERSHIPS, order)
                everything = await listing.select(conn, artifacts.MEMBERSHIPS, scope)
                key = {
                    "membership": lambda m: (m.id,),
                    "-version": lambda m: (-m.version_index, -m.id),
                    "created_at": lambda m: ("", m.id),  # one timestamp: ties broken by id
                }[order]
                expected = sorted(everything, key=key)
                pages, cursor, reads = [], None, []
                while True:
                    page = await listing.page(
                        conn, artifacts.MEMBERSHIPS, scope, order=sort, first=6, after=cursor
                    )
                    pages += [m for _, m in page.items]
                    reads.append(page.rows_read)
                    if not page.has_next:
                        break
                    cursor = page.items[-1][0]
                found.append((order, pages == expected, len(pages), max(reads)))
            found.append(await listing.count(conn, artifacts.MEMBERSHIPS, scope))
    finally:
        await db.close()
    return found


def test_pages_across_collections_merge_one_index_range_each(tmp_path: Path) -> None:
    *orders, total = asyncio.run(_pages_across_collections(tmp_path))
    assert orders == [(order, True, 31, 7) for order in ("membership", "-version", "created_at")]
    assert total == 31


def _record(cls: type) -> object:
    """A record of `cls` with placeholder values (JSON text for the text columns)."""
    values = {
        f.name: 1 if f.type in ("int", "int | None", "bool") else "{}"
        for f in dataclasses.fields(cls)
    }
    return cls(**values)


def _documents() -> list[tuple[listing.Listing, dict]]:
    membership, artifact = _record(MembershipRec), _record(ArtifactRec)
    return [
        (projects.PROJECTS, project_document(_record(ProjectRec))),
        (artifacts.COLLECTIONS, collection_document(_record(CollectionRec), ["t"], "model")),
        (artifacts.MEMBERSHIPS, version_document(membership, artifact, ["a"], ["t"])),
        (runs.RUNS, run_document(_record(RunRec))),
    ]


@pytest.mark.parametrize(
    ("of", "document"), _documents(), ids=["projects", "collections", "versions", "runs"]
)
def test_filter_documents_hold_every_field_sql_filters(of: listing.Listing, document: dict) -> None:
    """Without REGEXP in SQL (PostgreSQL), `$regex` on any field is matched in Python on
    these documents, so each must hold every field SQL could have tested."""
    assert set(of.fields) <= set(document), set(of.fields) - set(document)


def test_regex_goes_to_the_matcher_without_sql_regexp() -> None:
    doc = {"name": {"$regex": "^mod"}, "type": "model"}
    in_sql, rest = listing.split_filter(artifacts.COLLECTIONS, doc, sql_regexp=False)
    assert "REGEXP" not in in_sql.sql and in_sql.params == ("model",)
    assert rest == {"name": {"$regex": "^mod"}}
    in_sql, rest = listing.split_filter(artifacts.COLLECTIONS, doc)
    assert "REGEXP" in in_sql.sql and rest == {}
