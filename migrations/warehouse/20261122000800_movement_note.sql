-- The note an operator gives with an adjustment (AdjustStock, BulkAdjustStock rows), kept on its ledger
-- row. NULL when none was given; an empty note is stored as NULL, so a stored note is never blank.
-- A new nullable column without a default is a catalog-only change; the append-only triggers refuse
-- UPDATE and DELETE of rows, not schema changes.
ALTER TABLE stock_movements
  ADD COLUMN note text CONSTRAINT stock_movements_note_length CHECK (length(note) BETWEEN 1 AND 500);
