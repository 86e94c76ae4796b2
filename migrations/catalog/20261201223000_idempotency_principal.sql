-- Idempotency keys are scoped to the caller (packages/idempotency): the principal (token subject, or
-- tenant where one exists; 'system:internal' for the service's own workers) joins the primary key, so two
-- callers sending the same key never share a record or read each other's answer.
-- Records written before this have no known caller: they get a principal no caller has, and expire
-- within their retention (48 hours) like any other record. A retry of such a request after this
-- migration is claimed afresh under its caller's principal.
-- The table holds at most the retention's worth of keys, so rebuilding its key is short; the lock
-- timeout makes the migration fail (run it again) rather than queue every writer behind a long transaction.
SET LOCAL lock_timeout = '5s';

ALTER TABLE idempotency_records
  ADD COLUMN principal text NOT NULL DEFAULT 'legacy:unscoped' CHECK (length(principal) > 0);
ALTER TABLE idempotency_records ALTER COLUMN principal DROP DEFAULT;

-- (operation, idempotency_key) stays the index's prefix: batch statements look keys up by it.
ALTER TABLE idempotency_records
  DROP CONSTRAINT idempotency_records_pkey,
  ADD PRIMARY KEY (operation, idempotency_key, principal);
