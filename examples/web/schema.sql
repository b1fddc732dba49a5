-- The tables of the web example (docs/persistence.md): the journal of every practice,
-- its snapshots, and a trigger that tells the other server processes about new changes.
-- Safe to run again on an existing database.

CREATE TABLE IF NOT EXISTS changes (
    practice   text        NOT NULL,
    seq        bigint      NOT NULL CHECK (seq > 0),
    change     jsonb       NOT NULL,          -- the engine's Change as JSON
    stored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice, seq)               -- two writers can never both store one seq
);

CREATE TABLE IF NOT EXISTS snapshots (
    practice   text        NOT NULL,
    seq        bigint      NOT NULL CHECK (seq >= 0),
    snapshot   text        NOT NULL,          -- the snapshot JSON, byte for byte
    stored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice, seq)
);

-- Every stored change is announced on channel portal_changes as "<practice> <seq>"; the
-- notification is delivered when the inserting transaction commits.
CREATE OR REPLACE FUNCTION portal_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portal_changes', NEW.practice || ' ' || NEW.seq);
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS portal_changes_notify ON changes;
CREATE TRIGGER portal_changes_notify AFTER INSERT ON changes
    FOR EACH ROW EXECUTE FUNCTION portal_notify_change();
