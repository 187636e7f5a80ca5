-- Which inspection a follow-up plan (and the follow-up inspection recorded from it) checks on:
-- the source's four checks read that inspection's findings and their tickets. Nullable
-- additions only, so the previous release keeps working during a rolling upgrade.
ALTER TABLE inspection_plans ADD COLUMN follows TEXT;
ALTER TABLE inspections ADD COLUMN follow_up_of TEXT;
