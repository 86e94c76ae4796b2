export {
  createRetentionWorker,
  type PrunedRows,
  RETAINED_TABLES,
  type RetainedTable,
  type RetentionConfig,
  type RetentionLogger,
  type RetentionPass,
  type RetentionWorker,
  type RetentionWorkerOptions,
  type StartRetentionWorkerOptions,
  startRetentionWorker,
} from "./retention-worker.ts";
