// The relay's Prometheus series, labelled by schema; several relays may share one registry.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { PendingStats } from "./outbox.repo.ts";

export interface RelayMetrics {
  published(count: number): void;
  // One produce request's rows, acked by the broker.
  sent(rows: number): void;
  failed(count: number): void;
  pending(stats: PendingStats): void;
  // Whether this relay holds the schema's lease after its last attempt (1) or stands by (0).
  leaseHeld(held: boolean): void;
}

const noMetrics: RelayMetrics = { published() {}, sent() {}, failed() {}, pending() {}, leaseHeld() {} };

export function createRelayMetrics(registry: Registry | undefined, schema: string): RelayMetrics {
  if (!registry) return noMetrics;
  const pendingRows = gauge(registry, "outbox_pending_rows", "Outbox rows not yet published.");
  const oldestPending = gauge(
    registry,
    "outbox_oldest_pending_seconds",
    "Age of the oldest unpublished outbox row (relay lag).",
  );
  const publishedTotal = counter(registry, "outbox_published_total", "Outbox rows published to Kafka.");
  const failuresTotal = counter(
    registry,
    "outbox_publish_failures_total",
    "Outbox rows whose publish to Kafka failed (they are retried).",
  );
  const sentRows = histogram(
    registry,
    "outbox_publish_batch_rows",
    "Rows per produce request the broker acked (its count is the number of requests).",
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000],
  );
  const leaseHeld = gauge(
    registry,
    "outbox_relay_lease_held",
    "1 on the relay holding the schema's lease (the one publishing), 0 on standbys.",
  );
  const labels = { schema };
  // Present at 0 from the start, so the first failure shows in increase().
  publishedTotal.inc(labels, 0);
  failuresTotal.inc(labels, 0);
  leaseHeld.set(labels, 0);
  return {
    published: (count) => publishedTotal.inc(labels, count),
    sent: (rows) => sentRows.observe(labels, rows),
    failed: (count) => failuresTotal.inc(labels, count),
    pending: (stats) => {
      pendingRows.set(labels, stats.pending);
      oldestPending.set(labels, stats.oldestPendingSeconds);
    },
    leaseHeld: (held) => leaseHeld.set(labels, held ? 1 : 0),
  };
}

function gauge(registry: Registry, name: string, help: string): Gauge<"schema"> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<"schema">;
  return new Gauge({ name, help, labelNames: ["schema"], registers: [registry] });
}

function counter(registry: Registry, name: string, help: string): Counter<"schema"> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<"schema">;
  return new Counter({ name, help, labelNames: ["schema"], registers: [registry] });
}

function histogram(registry: Registry, name: string, help: string, buckets: number[]): Histogram<"schema"> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<"schema">;
  return new Histogram({ name, help, labelNames: ["schema"], buckets, registers: [registry] });
}
