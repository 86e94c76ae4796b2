// The retention worker's Prometheus series: rows pruned, by table and schema.
import { Counter, type Registry } from "prom-client";
import type { RetainedTable } from "./retention-worker.ts";

export interface RetentionMetrics {
  pruned(table: RetainedTable, rows: number): void;
}

const PRUNED_ROWS = "retention_pruned_rows_total";

export function createRetentionMetrics(registry: Registry | undefined, schema: string): RetentionMetrics {
  if (!registry) return { pruned() {} };
  const counter =
    (registry.getSingleMetric(PRUNED_ROWS) as Counter<"table" | "schema"> | undefined) ??
    new Counter({
      name: PRUNED_ROWS,
      help: "Rows deleted by the retention worker (processed events past retention, expired idempotency records).",
      labelNames: ["table", "schema"],
      registers: [registry],
    });
  return { pruned: (table, rows) => counter.inc({ table, schema }, rows) };
}
