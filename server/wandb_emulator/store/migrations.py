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
            account_type TEXT NOT NULL DEFAULT 'USER' CHECK (account_type IN ('USER', 'SERVICE')),
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
    (
        2,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            display_name TEXT,
            description TEXT,
            notes TEXT,
            group_name TEXT,
            job_type TEXT,
            commit_hash TEXT,
            host TEXT,
            program TEXT,
            sweep_name TEXT,
            config TEXT NOT NULL DEFAULT '{}',
            summary_metrics TEXT NOT NULL DEFAULT '{}',
            system_metrics TEXT NOT NULL DEFAULT '{}',
            tags TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL DEFAULT 'running',
            exit_code INTEGER,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            history_line_count INTEGER NOT NULL DEFAULT 0,
            events_line_count INTEGER NOT NULL DEFAULT 0,
            log_line_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE INDEX runs_by_user ON runs(user_id);

        -- Lines the file_stream endpoint receives: history, events, console output.
        CREATE TABLE run_lines (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stream TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            content TEXT NOT NULL,
            PRIMARY KEY (run_id, stream, line_no)
        );

        CREATE TABLE run_files (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            blob_key TEXT,
            size INTEGER,
            md5 TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        );

        CREATE TABLE artifact_collections (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            type_id INTEGER NOT NULL REFERENCES artifact_types(id),
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('SEQUENCE', 'PORTFOLIO')),
            description TEXT,
            client_id TEXT,
            next_version INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE INDEX artifact_collections_by_type ON artifact_collections(type_id);
        CREATE INDEX artifact_collections_by_client_id ON artifact_collections(client_id);

        CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY,
            sequence_id INTEGER NOT NULL REFERENCES artifact_collections(id) ON DELETE CASCADE,
            type_id INTEGER NOT NULL REFERENCES artifact_types(id),
            digest TEXT NOT NULL,
            description TEXT,
            metadata TEXT,
            state TEXT NOT NULL CHECK (state IN ('PENDING', 'COMMITTED', 'DELETED')),
            size INTEGER NOT NULL DEFAULT 0,
            file_count INTEGER NOT NULL DEFAULT 0,
            ttl_duration_seconds INTEGER NOT NULL DEFAULT -1,
            history_step INTEGER,
            client_id TEXT,
            created_by_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            created_by_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            pending_aliases TEXT NOT NULL DEFAULT '[]',
            manifest_blob_key TEXT,
            manifest_digest TEXT,
            manifest_type TEXT,
            base_artifact_id INTEGER REFERENCES artifacts(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX artifacts_by_sequence_digest ON artifacts(sequence_id, digest);
        CREATE INDEX artifacts_by_client_id ON artifacts(client_id);
        CREATE INDEX artifacts_by_run ON artifacts(created_by_run_id);

        -- An artifact's place in a collection: its source sequence (at commit) or a
        -- portfolio it is linked into. Version indexes are per collection, gap-free.
        CREATE TABLE artifact_memberships (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL
                REFERENCES artifact_collections(id) ON DELETE CASCADE,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            version_index INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (collection_id, version_index),
            UNIQUE (collection_id, artifact_id)
        );
        CREATE INDEX artifact_memberships_by_artifact ON artifact_memberships(artifact_id);

        CREATE TABLE artifact_aliases (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL
                REFERENCES artifact_collections(id) ON DELETE CASCADE,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            UNIQUE (collection_id, alias)
        );
        CREATE INDEX artifact_aliases_by_artifact ON artifact_aliases(artifact_id);

        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            UNIQUE (name, category)
        );

        CREATE TABLE artifact_tags (
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            PRIMARY KEY (artifact_id, tag_id)
        );

        CREATE TABLE collection_tags (
            collection_id INTEGER NOT NULL
                REFERENCES artifact_collections(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            PRIMARY KEY (collection_id, tag_id)
        );

        -- Files of an artifact version, as announced by CreateArtifactFiles and
        -- completed from the manifest at commit.
        CREATE TABLE artifact_files (
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            md5 TEXT NOT NULL,
            digest TEXT,
            size INTEGER,
            mimetype TEXT,
            blob_key TEXT,
            ref TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (artifact_id, name)
        );

        CREATE TABLE multipart_uploads (
            id TEXT PRIMARY KEY,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            md5 TEXT NOT NULL,
            parts TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE artifact_usages (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            used_as TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_id, artifact_id)
        );
        CREATE INDEX artifact_usages_by_artifact ON artifact_usages(artifact_id);
        """,
    ),
    (
        3,
        """
        -- Team secrets: values are read only by webhook delivery, never returned.
        CREATE TABLE secrets (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (entity_id, name)
        );

        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('GENERIC_WEBHOOK', 'SLACK')),
            name TEXT NOT NULL,
            url TEXT,
            access_token_ref TEXT,
            secret_ref TEXT,
            slack_team TEXT,
            slack_channel TEXT,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX integrations_by_entity ON integrations(entity_id);

        -- Automations ("triggers" in the schema). scope_id is a project or a collection id.
        CREATE TABLE triggers (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            scope_type TEXT NOT NULL CHECK (scope_type IN ('PROJECT', 'ARTIFACT_COLLECTION')),
            scope_id INTEGER NOT NULL,
            event_type TEXT NOT NULL,
            event_filter TEXT NOT NULL,
            action_type TEXT NOT NULL,
            action_config TEXT NOT NULL,
            integration_id INTEGER REFERENCES integrations(id) ON DELETE SET NULL,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (entity_id, name)
        );
        CREATE INDEX triggers_by_scope ON triggers(scope_type, scope_id);
        """,
    ),
    (
        4,
        """
        -- Keyset pages: each listing's scope column, then its sort column (then rowid).
        CREATE INDEX artifact_memberships_by_collection ON artifact_memberships(collection_id, id);
        CREATE INDEX artifact_collections_by_project ON artifact_collections(project_id, kind, id);
        CREATE INDEX projects_by_entity ON projects(entity_id, id);
        CREATE INDEX runs_by_project ON runs(project_id, created_at);
        """,
    ),
    (
        5,
        """
        -- Hyperparameter sweeps: the config as the client sent it (YAML), the agents
        -- that ask for work, and every run the sweep proposed (its parameters).
        CREATE TABLE sweeps (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            display_name TEXT,
            description TEXT,
            method TEXT NOT NULL,
            config TEXT NOT NULL,
            state TEXT NOT NULL,
            controller TEXT,
            scheduler TEXT,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            heartbeat_at TEXT,
            UNIQUE (project_id, name)
        );

        CREATE TABLE sweep_agents (
            id INTEGER PRIMARY KEY,
            sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            host TEXT NOT NULL,
            state TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL
        );
        CREATE INDEX sweep_agents_by_sweep ON sweep_agents(sweep_id);

        CREATE TABLE sweep_runs (
            sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            run_name TEXT NOT NULL,
            agent_id INTEGER REFERENCES sweep_agents(id) ON DELETE SET NULL,
            args TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (sweep_id, position),
            UNIQUE (sweep_id, run_name)
        );
        """,
    ),
    (
        6,
        """
        -- A distributed artifact: one pending version that several runs write patches
        -- into (createArtifact with the same distributedID) until one commits it.
        ALTER TABLE artifacts ADD COLUMN distributed_id TEXT;
        CREATE INDEX artifacts_by_distributed_id ON artifacts(sequence_id, distributed_id);

        -- Runs that logged a version they did not create (a digest deduplication hit,
        -- a patch of a distributed version); the creator is artifacts.created_by_run_id.
        CREATE TABLE artifact_outputs (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_id, artifact_id)
        );
        CREATE INDEX artifact_outputs_by_artifact ON artifact_outputs(artifact_id);
        """,
    ),
    (
        7,
        """
        -- StopRun sets it; the run's process reads it in the answer to its next
        -- file_stream heartbeat, as W&B's "Stop run" button works.
        ALTER TABLE runs ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        8,
        """
        -- A run forked from another (wandb.init(fork_from="RUN?_step=N")) starts with
        -- the source's history rows up to step N, read through these two columns.
        ALTER TABLE runs ADD COLUMN forked_from_run_id INTEGER
            REFERENCES runs(id) ON DELETE SET NULL;
        ALTER TABLE runs ADD COLUMN fork_step BIGINT;
        """,
    ),
    (
        9,
        """
        -- run.alert(): NotifyScriptableRunAlert, in the order they arrived.
        CREATE TABLE run_alerts (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            severity TEXT NOT NULL,
            wait_duration_ms BIGINT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX run_alerts_by_run ON run_alerts(run_id, id);
        """,
    ),
    (
        10,
        """
        -- Custom chart presets (CreateCustomChart): a Vega spec saved under a name.
        CREATE TABLE custom_charts (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            display_name TEXT NOT NULL,
            chart_type TEXT NOT NULL,
            access TEXT NOT NULL,
            spec TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (entity_id, name)
        );
        """,
    ),
    (
        11,
        """
        -- The runs of a sweep (Sweep.runs, best_run()) and a project's sweeps, by page.
        CREATE INDEX runs_by_sweep ON runs(project_id, sweep_name, id);
        CREATE INDEX sweeps_by_project ON sweeps(project_id, created_at, id);
        -- A proposed run that early termination told its agent to stop (Run.shouldStop).
        ALTER TABLE sweep_runs ADD COLUMN stop_requested_at TEXT;
        """,
    ),
    (
        12,
        """
        -- A blob store that lays its objects out as W&B does (a bucket) keeps each
        -- content's bytes in one object, chosen when they are first announced; later
        -- announcements of the same bytes point there. Content without a row is at its
        -- content-addressed name (the local store, and blobs copied from a data dir).
        CREATE TABLE blob_objects (
            blob_key TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        -- The object each reference reads (NULL: the content-addressed name).
        ALTER TABLE artifact_files ADD COLUMN storage_path TEXT;
        ALTER TABLE artifacts ADD COLUMN manifest_path TEXT;
        ALTER TABLE run_files ADD COLUMN storage_path TEXT;
        CREATE INDEX artifact_files_by_blob ON artifact_files(blob_key);

        -- Manifest upload URLs of such a store handed to clients: the objects are read,
        -- in this order, when the version is committed.
        CREATE TABLE manifest_uploads (
            id INTEGER PRIMARY KEY,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (artifact_id, path)
        );
        """,
    ),
    (
        13,
        """
        -- Server state that every process of one database shares (store/server_state.py):
        -- the request journal, fault rules, the automations' delivery log and settings.
        -- Not data: snapshots leave these rows out, and a reset keeps server_settings.
        CREATE TABLE journal_entries (
            seq INTEGER PRIMARY KEY,
            entry TEXT NOT NULL,
            cost INTEGER NOT NULL
        );
        CREATE TABLE fault_rules (
            id INTEGER PRIMARY KEY,
            spec TEXT NOT NULL,
            times INTEGER,
            hits INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE automation_deliveries (
            id INTEGER PRIMARY KEY,
            delivery TEXT NOT NULL,
            outcome TEXT NOT NULL,
            claimed_by TEXT
        );
        CREATE INDEX automation_deliveries_by_outcome ON automation_deliveries(outcome);
        CREATE TABLE server_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
]

# Server state rather than data (migration 13): snapshots leave their rows out, and a
# database holding only these holds no data.
SERVER_STATE_TABLES = ("journal_entries", "fault_rules", "automation_deliveries", "server_settings")
# What a reset (a wipe) keeps: the delivery settings, as a reset always did.
KEPT_BY_WIPE = ("server_settings",)

# The schema version a database has once every migration is applied.
SCHEMA_VERSION = MIGRATIONS[-1][0]
