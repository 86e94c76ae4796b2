-- Bulk imports are scoped to the caller, as idempotency keys are (20261201223000_idempotency_principal.sql):
-- the principal (the token's subject) joins the primary key of bulk_import_rows, so two callers using one
-- import_id never see each other's rows as already applied, nor read each other's stored results.
-- Rows written before this get the principal that applied them: each applied row wrote ledger movements
-- referenced 'bulk_import' / '<import_id>#<row_number>' whose actor is the caller's token subject, so a
-- re-upload of an earlier import by its caller still finds its rows applied. A row without such a
-- movement (none is expected) gets a principal no caller has.
-- The lock timeout makes the migration fail (run it again) rather than queue every import behind a long
-- transaction.
SET LOCAL lock_timeout = '5s';

ALTER TABLE bulk_import_rows
  ADD COLUMN principal text NOT NULL DEFAULT 'legacy:unscoped' CHECK (length(principal) > 0);

UPDATE bulk_import_rows b
  SET principal = m.actor
  FROM stock_movements m
  WHERE m.reference_type = 'bulk_import' AND m.reference_id = b.import_id || '#' || b.row_number;

ALTER TABLE bulk_import_rows ALTER COLUMN principal DROP DEFAULT;

ALTER TABLE bulk_import_rows
  DROP CONSTRAINT bulk_import_rows_pkey,
  ADD PRIMARY KEY (principal, import_id, row_number);
