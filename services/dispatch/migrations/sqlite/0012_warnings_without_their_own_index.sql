-- The warning sweep reads the open tickets through tickets_open_level (level, status), which
-- intake maintains anyway. Its own partial index (0010) cost every complaint one more index
-- entry: after 0010, bench/run.sh --quick showed Postgres's CPU per complaint ~15 % higher, and
-- this was one of the two entries 0010 added (the other, on events, the league table needs).
DROP INDEX tickets_to_warn;
