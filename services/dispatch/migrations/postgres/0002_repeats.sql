-- Possible repeats (same estate and category within a window) and merges by the town office.
ALTER TABLE tickets ADD COLUMN repeat_of TEXT;
ALTER TABLE tickets ADD COLUMN merged_into TEXT;
