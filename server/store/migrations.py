"""The database schema, as numbered migrations applied in order.

`PRAGMA user_version` records the last applied migration. Never edit a migration
that has shipped; append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            org_entity_id INTEGER REFERENCES entities(id),
            created_at TEXT NOT NULL
        );

        CREATE TABLE entities (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('USER', 'TEAM', 'ORGANIZATION')),
            organization_id INTEGER REFERENCES organizations(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX entities_by_org ON entities(organization_id);

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            email TEXT UNIQUE,
            password TEXT,
            admin INTEGER NOT NULL DEFAULT 0,
            entity_id INTEGER NOT NULL REFERENCES entities(id),
            default_entity_id INTEGER REFERENCES entities(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX users_by_entity ON users(entity_id);

        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key TEXT NOT NULL UNIQUE,
            description TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX api_keys_by_user ON api_keys(user_id);

        CREATE TABLE org_members (
            organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
            PRIMARY KEY (organization_id, user_id)
        );
        CREATE INDEX org_members_by_user ON org_members(user_id);

        CREATE TABLE team_members (
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
            PRIMARY KEY (entity_id, user_id)
        );
        CREATE INDEX team_members_by_user ON team_members(user_id);

        CREATE TABLE invites (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            email TEXT,
            username TEXT,
            admin INTEGER NOT NULL DEFAULT 0,
            accepted INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX invites_by_entity ON invites(entity_id);

        CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT,
            access TEXT,
            allow_all_artifact_types INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (entity_id, name)
        );

        -- Artifact types live per project. `allowed` marks the types a registry
        -- saved as allowed (add-only); the others were created by use.
        CREATE TABLE artifact_types (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT,
            allowed INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            UNIQUE (project_id, name)
        );

        CREATE TABLE project_user_members (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            PRIMARY KEY (project_id, user_id)
        );
        CREATE INDEX project_user_members_by_user ON project_user_members(user_id);

        CREATE TABLE project_team_members (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            PRIMARY KEY (project_id, entity_id)
        );
        CREATE INDEX project_team_members_by_entity ON project_team_members(entity_id);
        """,
    ),
]
