-- What the system says on a timeline event, as codes (EventRemark) printed in the reader's
-- words; the English sentences the sweep and routing used to write become codes.
ALTER TABLE ticket_events ADD COLUMN remarks TEXT NOT NULL DEFAULT '';
UPDATE ticket_events SET remarks = 'response_overdue', note = ''
  WHERE actor = 'system' AND note = 'response overdue: escalated to the town office';
UPDATE ticket_events SET remarks = 'resolution_overdue', note = ''
  WHERE actor = 'system' AND note = 'resolution overdue: escalated to the town office';
UPDATE ticket_events SET remarks = 'still_overdue', note = ''
  WHERE actor = 'system' AND note = 'still overdue under town-office supervision: escalated to the county';
UPDATE ticket_events SET remarks = 'county_matter',
    note = substr(note, 1, length(note) - length('; county-level matter, reported in writing to county leaders'))
  WHERE actor = 'system' AND note LIKE '%; county-level matter, reported in writing to county leaders';
