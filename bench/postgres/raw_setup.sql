-- The comparator's tables: the layout of consent-postgres's log tables (migration 1 in
-- consent-postgres/src/schema.rs: records with their subject index, and the one-row log_head
-- whose row lock is the write lock). Keep in step with that migration.
DROP SCHEMA IF EXISTS bench_raw CASCADE;
CREATE SCHEMA bench_raw;
CREATE TABLE bench_raw.log_head (
    id          integer PRIMARY KEY CHECK (id = 1),
    last_seq    bigint NOT NULL CHECK (last_seq >= 0),
    last_hash   bytea NOT NULL CHECK (length(last_hash) = 32),
    last_at     timestamptz,
    anchor_seq  bigint CHECK (anchor_seq >= 0),
    anchor_hash bytea CHECK (length(anchor_hash) = 32),
    anchor_mac  bytea CHECK (length(anchor_mac) = 32)
);
INSERT INTO bench_raw.log_head (id, last_seq, last_hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
CREATE TABLE bench_raw.records (
    seq     bigint PRIMARY KEY CHECK (seq > 0),
    subject bytea CHECK (length(subject) = 16),
    header  text NOT NULL,
    payload bytea NOT NULL,
    hash    bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX records_by_subject ON bench_raw.records (subject) WHERE subject IS NOT NULL;
