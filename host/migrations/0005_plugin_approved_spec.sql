-- The spec an admin last approved for a plugin type, kept while a replacement waits for
-- approval, so the pending change can be reviewed as a diff.
ALTER TABLE plugins ADD COLUMN approved_spec TEXT;
