-- An owner representative's account belongs to an estate and sees that estate's tickets.
ALTER TABLE accounts ADD COLUMN estate_id TEXT REFERENCES estates(id);
