-- Sharing by grant: teams of users, and grants of `use` or `manage` on a connector to a user,
-- a team or everyone. The old `shared` flag becomes a `use` grant to everyone.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- grantee_kind: user | team | everyone; grantee_id: the user's or team's id ('' for everyone).
CREATE TABLE grants (
    connector_id TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    grantee_kind TEXT NOT NULL,
    grantee_id TEXT NOT NULL,
    level TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (connector_id, grantee_kind, grantee_id)
);

INSERT INTO grants (connector_id, grantee_kind, grantee_id, level, created_at)
    SELECT id, 'everyone', '', 'use', updated_at FROM connectors WHERE shared <> 0;

-- `connectors.shared` stays for replicas of the previous version during a rolling upgrade: this
-- version no longer reads it and keeps it equal to "everyone has a grant". A later release drops it.
