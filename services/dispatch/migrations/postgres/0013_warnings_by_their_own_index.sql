-- The warning sweep's own index again (0010's, dropped by 0012): without it each pass read every
-- open ticket through tickets_open_level, and with a large open history (bench/run.sh's
-- 1,000,000 stored) intake fell to 0.74x of its 100k figure. With it a pass reads only the open,
-- unwarned tickets whose deadline is still ahead, in deadline order; intake pays one index entry
-- per complaint.
CREATE INDEX tickets_to_warn ON tickets (resolve_by)
    WHERE warned_at IS NULL AND status IN ('assigned', 'accepted', 'reopened');
