-- pgbench: the comparator for the PostgreSQL append benchmark. One transaction takes the one
-- shared lock (the row lock on the one-row log_head table, as consent-postgres does), inserts
-- :batch rows the size of a stored grant (a 450-byte header, a 500-byte payload, a random
-- 16-byte subject, a 32-byte hash) with the next sequence numbers, moves the log's end and
-- commits. Pipelined (pgbench -M extended): the whole transaction is one round trip, so the
-- lock is held only for the server's own work and the commit's flush.
\set subject random(1, 1000000000)
\startpipeline
BEGIN;
SELECT last_seq FROM bench_raw.log_head WHERE id = 1 FOR UPDATE;
INSERT INTO bench_raw.records (seq, subject, header, payload, hash)
    SELECT h.last_seq + g,
           decode(md5((:subject + g)::text), 'hex'),
           repeat('h', 450),
           decode(repeat('a5', 500), 'hex'),
           decode(md5(g::text) || md5((:subject - g)::text), 'hex')
    FROM bench_raw.log_head h, generate_series(1, :batch) g
    WHERE h.id = 1;
UPDATE bench_raw.log_head SET last_seq = last_seq + :batch, last_at = clock_timestamp() WHERE id = 1;
END;
\endpipeline
