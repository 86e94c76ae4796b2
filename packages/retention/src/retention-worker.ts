// Prunes a service schema's bookkeeping: event_processing_log rows older than the retention, and
// idempotency records past their expiry. Each table is emptied of what is due in bounded batches (one
// DELETE of at most batchSize rows each, like the outbox's retention of published rows), every
// intervalMs, by an interval worker; several instances may run (a row is deleted once).
import { deleteExpiredIdempotencyRecords, type IdempotencyDatabase } from "@stockroom/idempotency";
import { deleteProcessedEventsBefore } from "@stockroom/messaging";
import { createIntervalWorker } from "@stockroom/workers";
import type { Kysely } from "kysely";
import type { Registry } from "prom-client";
import { createRetentionMetrics } from "./retention-metrics.ts";

export const RETAINED_TABLES = ["event_processing_log", "idempotency_records"] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

export interface RetentionLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RetentionWorkerOptions<DB extends IdempotencyDatabase> {
  /** The service schema's database (its search_path names the schema). */
  readonly db: Kysely<DB>;
  /** The schema's name, for logs and the metric's label. */
  readonly schema: string;
  readonly logger: RetentionLogger;
  readonly registry?: Registry;
  /** event_processing_log rows processed longer ago than this are deleted. */
  readonly processingLogRetentionMs: number;
  /** The wait between two passes. */
  readonly intervalMs: number;
  /** Rows per DELETE statement. */
  readonly batchSize: number;
  /** The tables this schema has (default both). */
  readonly tables?: readonly RetainedTable[];
}

export interface PrunedRows {
  readonly rows: number;
  /** DELETE statements run, each removing at most batchSize rows. */
  readonly batches: number;
}

export type RetentionPass = Partial<Record<RetainedTable, PrunedRows>>;

export interface RetentionWorker {
  /** Starts the loop: the first pass at once, then every intervalMs. */
  start(): void;
  /** Ends the loop after the statement in flight. */
  stop(): Promise<void>;
  /** One pass over every table (stops between batches once signal aborts). */
  runOnce(signal?: AbortSignal): Promise<RetentionPass>;
}

export function createRetentionWorker<DB extends IdempotencyDatabase>(
  options: RetentionWorkerOptions<DB>,
): RetentionWorker {
  const { db, schema, logger, batchSize } = options;
  const tables = options.tables ?? RETAINED_TABLES;
  const metrics = createRetentionMetrics(options.registry, schema);
  const deleteBatch: Record<RetainedTable, () => Promise<number>> = {
    event_processing_log: () => deleteProcessedEventsBefore(db, options.processingLogRetentionMs, batchSize),
    idempotency_records: () => deleteExpiredIdempotencyRecords(db, batchSize),
  };

  async function prune(table: RetainedTable, signal?: AbortSignal): Promise<PrunedRows> {
    let rows = 0;
    let batches = 0;
    while (!signal?.aborted) {
      const deleted = await deleteBatch[table]();
      batches++;
      rows += deleted;
      metrics.pruned(table, deleted);
      if (deleted < batchSize) break;
    }
    return { rows, batches };
  }

  async function runOnce(signal?: AbortSignal): Promise<RetentionPass> {
    const pass: RetentionPass = {};
    for (const table of tables) {
      const pruned = await prune(table, signal);
      pass[table] = pruned;
      if (pruned.rows > 0) logger.info({ schema, table, deleted: pruned.rows }, "retention pruned rows");
    }
    return pass;
  }

  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tickOnStart: true,
    tick: async (signal) => {
      await runOnce(signal);
    },
    onError: (err) => logger.error({ err, schema }, "retention pass failed; retrying after the interval"),
  });

  return { start: () => worker.start(), stop: () => worker.stop(), runOnce };
}

/** The settings of retentionConfigShape (@stockroom/config). */
export interface RetentionConfig {
  readonly PROCESSING_LOG_RETENTION_MS: number;
  readonly RETENTION_INTERVAL_MS: number;
  readonly RETENTION_BATCH_SIZE: number;
}

export interface StartRetentionWorkerOptions<DB extends IdempotencyDatabase> {
  readonly config: RetentionConfig;
  readonly db: Kysely<DB>;
  readonly schema: string;
  readonly logger: RetentionLogger;
  readonly registry?: Registry;
  readonly tables?: readonly RetainedTable[];
}

/** A service's retention, in one line of its main.ts: built from its config and started. */
export function startRetentionWorker<DB extends IdempotencyDatabase>(
  options: StartRetentionWorkerOptions<DB>,
): RetentionWorker {
  const { config } = options;
  const worker = createRetentionWorker({
    db: options.db,
    schema: options.schema,
    logger: options.logger,
    registry: options.registry,
    processingLogRetentionMs: config.PROCESSING_LOG_RETENTION_MS,
    intervalMs: config.RETENTION_INTERVAL_MS,
    batchSize: config.RETENTION_BATCH_SIZE,
    ...(options.tables ? { tables: options.tables } : {}),
  });
  worker.start();
  return worker;
}
