-- pgbench: the same transaction with the other lock design (message-db style): a
-- transaction-level advisory lock instead of the head row's lock, and the next sequence number
-- from max(seq) of the records. For the lock choice in ARCHITECTURE.md; the comparator of the
-- issue is raw_append.sql.
\set subject random(1, 1000000000)
\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock(7321);
INSERT INTO bench_raw.records (seq, subject, header, payload, hash)
    SELECT m.last_seq + g,
           decode(md5((:subject + g)::text), 'hex'),
           repeat('h', 450),
           decode(repeat('a5', 500), 'hex'),
           decode(md5(g::text) || md5((:subject - g)::text), 'hex')
    FROM (SELECT coalesce(max(seq), 0) AS last_seq FROM bench_raw.records) m,
         generate_series(1, :batch) g;
END;
\endpipeline
