-- Optimistic concurrency: every update of a connector checks and increments its version.
ALTER TABLE connectors ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
