"""Projects (registries are projects in an org entity), their types and members."""

from __future__ import annotations

from ..records import ArtifactTypeRec, EntityRec, ProjectRec, RegistryRole, UserRec, utc_now
from . import accounts
from ._sql import execute, fetch_all, fetch_column, fetch_one, insert, placeholders
from .database import Conn
from .errors import Conflict
from .listing import Listing, Where, columns


async def project_by_id(conn: Conn, project_id: int) -> ProjectRec | None:
    return await fetch_one(conn, ProjectRec, "SELECT * FROM projects WHERE id = ?", (project_id,))


async def projects_by_ids(conn: Conn, ids: list[int]) -> dict[int, ProjectRec]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn, ProjectRec, f"SELECT * FROM projects WHERE id IN ({placeholders(ids)})", ids
    )
    return {row.id: row for row in rows}


async def project_by_name(conn: Conn, entity_id: int, name: str) -> ProjectRec | None:
    return await fetch_one(
        conn,
        ProjectRec,
        "SELECT * FROM projects WHERE entity_id = ? AND name = ?",
        (entity_id, name),
    )


async def projects_of_entity(conn: Conn, entity_id: int, name_prefix: str = "") -> list[ProjectRec]:
    return await fetch_all(
        conn,
        ProjectRec,
        "SELECT * FROM projects WHERE entity_id = ? AND substr(name, 1, ?) = ? ORDER BY id",
        (entity_id, len(name_prefix), name_prefix),
    )


_TIMES = columns("p", "created_at", "updated_at")

PROJECTS = Listing(
    record=ProjectRec,
    source="projects p",
    columns="p.*",
    id_column="p.id",
    sorts={"name": "p.name", **_TIMES, "id": "p.id"},
    default_sort="id",
    fields={
        "id": "p.id",
        "project_id": "p.id",
        "name": "p.name",
        "entity_id": "p.entity_id",
        "description": "p.description",
        **_TIMES,
    },
)


def of_entity(entity_id: int) -> Where:
    return Where("p.entity_id = ?", (entity_id,))


def registries_visible_to(user_id: int) -> Where:
    """Registries an organization member (not an admin) sees: every unrestricted one, and
    those where they hold a role, their own or a team's (see auth.registry_role)."""
    return Where(
        "p.access IS NULL OR p.access != 'RESTRICTED'"
        " OR EXISTS (SELECT 1 FROM project_user_members u"
        " WHERE u.project_id = p.id AND u.user_id = ?)"
        " OR EXISTS (SELECT 1 FROM project_team_members pt JOIN team_members t"
        " ON t.entity_id = pt.entity_id WHERE pt.project_id = p.id AND t.user_id = ?)",
        (user_id, user_id),
    )


def ids_of(where: Where) -> Where:
    """A subquery of the ids of the projects `where` selects."""
    return Where(f"SELECT p.id FROM projects p WHERE {where.sql or '1 = 1'}", where.params)


async def create_project(
    conn: Conn,
    entity_id: int,
    name: str,
    *,
    description: str | None = None,
    access: str | None = None,
    allow_all_artifact_types: bool = True,
) -> ProjectRec:
    if await project_by_name(conn, entity_id, name) is not None:
        raise Conflict(f"project {name!r} already exists")
    now = utc_now()
    project_id = await insert(
        conn,
        "INSERT INTO projects (entity_id, name, description, access, allow_all_artifact_types,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entity_id, name, description, access, int(allow_all_artifact_types), now, now),
    )
    project = await project_by_id(conn, project_id)
    assert project is not None
    return project


async def update_project(
    conn: Conn,
    project_id: int,
    *,
    description: str | None = None,
    access: str | None = None,
    allow_all_artifact_types: bool | None = None,
) -> None:
    """Change the given (non-None) attributes and bump updated_at."""
    await execute(
        conn,
        "UPDATE projects SET description = COALESCE(?, description), access = COALESCE(?, access),"
        " allow_all_artifact_types = COALESCE(?, allow_all_artifact_types), updated_at = ?"
        " WHERE id = ?",
        (
            description,
            access,
            None if allow_all_artifact_types is None else int(allow_all_artifact_types),
            utc_now(),
            project_id,
        ),
    )


async def rename_project(conn: Conn, project: ProjectRec, new_name: str) -> None:
    if await project_by_name(conn, project.entity_id, new_name) is not None:
        raise Conflict(f"project {new_name!r} already exists")
    await execute(
        conn,
        "UPDATE projects SET name = ?, updated_at = ? WHERE id = ?",
        (new_name, utc_now(), project.id),
    )


async def delete_project(conn: Conn, project_id: int) -> bool:
    return await execute(conn, "DELETE FROM projects WHERE id = ?", (project_id,)) > 0


# ---------------------------------------------------------- artifact types


async def artifact_types_of(
    conn: Conn, project_id: int, *, allowed_only: bool = False
) -> list[ArtifactTypeRec]:
    return await fetch_all(
        conn,
        ArtifactTypeRec,
        "SELECT * FROM artifact_types WHERE project_id = ? AND (allowed = 1 OR ? = 0) ORDER BY id",
        (project_id, int(allowed_only)),
    )


async def allow_artifact_types(conn: Conn, project_id: int, names: list[str]) -> None:
    """Save types as allowed in a registry; saved types are never removed."""
    now = utc_now()
    await conn.run_many(
        "INSERT INTO artifact_types (project_id, name, allowed, created_at) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (project_id, name) DO UPDATE SET allowed = 1",
        [(project_id, name, now) for name in names],
    )


# ----------------------------------------------------------------- members


async def user_members(conn: Conn, project_id: int) -> list[tuple[UserRec, RegistryRole]]:
    rows = await conn.rows(
        f"SELECT {accounts.user_columns('u')}, m.role"
        " FROM project_user_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.project_id = ? ORDER BY m.rowid",
        (project_id,),
    )
    members = []
    for row in rows:
        values = dict(row)
        role = values.pop("role")
        values["admin"] = bool(values["admin"])
        members.append((UserRec(**values), role))
    return members


async def team_members(conn: Conn, project_id: int) -> list[tuple[EntityRec, RegistryRole]]:
    rows = await conn.rows(
        "SELECT e.id, e.name, e.kind, e.organization_id, e.created_at, m.role"
        " FROM project_team_members m JOIN entities e ON e.id = m.entity_id"
        " WHERE m.project_id = ? ORDER BY m.rowid",
        (project_id,),
    )
    members = []
    for row in rows:
        values = dict(row)
        role = values.pop("role")
        members.append((EntityRec(**values), role))
    return members


async def set_user_member(conn: Conn, project_id: int, user_id: int, role: RegistryRole) -> None:
    await execute(
        conn,
        "INSERT INTO project_user_members (project_id, user_id, role) VALUES (?, ?, ?)"
        " ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        (project_id, user_id, role),
    )


async def set_team_member(conn: Conn, project_id: int, entity_id: int, role: RegistryRole) -> None:
    await execute(
        conn,
        "INSERT INTO project_team_members (project_id, entity_id, role) VALUES (?, ?, ?)"
        " ON CONFLICT (project_id, entity_id) DO UPDATE SET role = excluded.role",
        (project_id, entity_id, role),
    )


async def add_user_member_if_absent(
    conn: Conn, project_id: int, user_id: int, role: RegistryRole
) -> None:
    await execute(
        conn,
        "INSERT INTO project_user_members (project_id, user_id, role) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (project_id, user_id, role),
    )


async def add_team_member_if_absent(
    conn: Conn, project_id: int, entity_id: int, role: RegistryRole
) -> None:
    await execute(
        conn,
        "INSERT INTO project_team_members (project_id, entity_id, role) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (project_id, entity_id, role),
    )


async def remove_user_member(conn: Conn, project_id: int, user_id: int) -> bool:
    return (
        await execute(
            conn,
            "DELETE FROM project_user_members WHERE project_id = ? AND user_id = ?",
            (project_id, user_id),
        )
        > 0
    )


async def remove_team_member(conn: Conn, project_id: int, entity_id: int) -> bool:
    return (
        await execute(
            conn,
            "DELETE FROM project_team_members WHERE project_id = ? AND entity_id = ?",
            (project_id, entity_id),
        )
        > 0
    )


async def direct_user_role(conn: Conn, project_id: int, user_id: int) -> RegistryRole | None:
    roles = await fetch_column(
        conn,
        "SELECT role FROM project_user_members WHERE project_id = ? AND user_id = ?",
        (project_id, user_id),
    )
    return roles[0] if roles else None


async def direct_team_role(conn: Conn, project_id: int, entity_id: int) -> RegistryRole | None:
    roles = await fetch_column(
        conn,
        "SELECT role FROM project_team_members WHERE project_id = ? AND entity_id = ?",
        (project_id, entity_id),
    )
    return roles[0] if roles else None


async def team_roles_of_user(conn: Conn, project_id: int, user_id: int) -> list[RegistryRole]:
    """Roles the user holds in the project through the teams they belong to."""
    return await fetch_column(
        conn,
        "SELECT p.role FROM project_team_members p JOIN team_members t ON t.entity_id = p.entity_id"
        " WHERE p.project_id = ? AND t.user_id = ?",
        (project_id, user_id),
    )
