// Variables of every service whose schema holds event_processing_log or idempotency_records (the
// retention worker of @stockroom/retention reads them). Services spread the shape into theirs.
import { durationMs, positiveInt } from "./fields.ts";

export const retentionConfigShape = {
  // Processed-event rows older than this are deleted (the aggregate-version guard still refuses an
  // older redelivery of an aggregate's event after its row went).
  PROCESSING_LOG_RETENTION_MS: durationMs().default(30 * 24 * 3_600_000),
  RETENTION_INTERVAL_MS: durationMs().default(5 * 60_000),
  // Rows per DELETE statement: each one holds few row locks and ends quickly.
  RETENTION_BATCH_SIZE: positiveInt().default(1_000),
};
