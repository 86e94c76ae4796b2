// Domain metrics of the warehouse (RPC metrics come from the grpc package).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface WarehouseMetrics {
  reservations: Counter<"outcome">;
  reserveBatchSize: Histogram;
  reserveBatchSeconds: Histogram;
  transitions: Counter<"command" | "outcome">;
  expired: Counter;
  oldestActiveReservationSeconds: Gauge;
  ledgerDriftUnits: Gauge;
  sweepLastSuccess: Gauge;
}

// The counters' known label values, present at 0 from the start so the first one shows in increase().
const RESERVE_OUTCOMES = ["reserved", "partial", "insufficient"];
const COMMANDS = ["release", "confirm", "cancel", "ship", "extend"];
const COMMAND_OUTCOMES = ["applied", "refused"];

export function createWarehouseMetrics(registry: Registry): WarehouseMetrics {
  const metrics: WarehouseMetrics = {
    reservations: new Counter({
      name: "warehouse_reservations_total",
      help: "Reserve requests by outcome (reserved, partial, insufficient = oversell attempt refused).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    reserveBatchSize: new Histogram({
      name: "warehouse_reserve_batch_size",
      help: "Reserve requests written by one transaction (concurrent requests are batched).",
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    reserveBatchSeconds: new Histogram({
      name: "warehouse_reserve_batch_seconds",
      help: "Time from a reserve batch's start to its outcome: its transaction, with waits for locks and the pool.",
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    transitions: new Counter({
      name: "warehouse_reservation_transitions_total",
      help: "Reservation commands by outcome.",
      labelNames: ["command", "outcome"],
      registers: [registry],
    }),
    expired: new Counter({
      name: "warehouse_reservations_expired_total",
      help: "Reservations expired by the sweeper.",
      registers: [registry],
    }),
    oldestActiveReservationSeconds: new Gauge({
      name: "warehouse_oldest_active_reservation_seconds",
      help: "Age of the oldest active reservation.",
      registers: [registry],
    }),
    ledgerDriftUnits: new Gauge({
      name: "warehouse_ledger_drift_units",
      help: "Units by which stored balances and the movement ledger disagree, summed, at the last Reconcile (expected 0).",
      registers: [registry],
    }),
    sweepLastSuccess: new Gauge({
      name: "warehouse_expiry_sweep_last_success_timestamp_seconds",
      help: "When the expiry sweeper last finished a drain without error (Unix time).",
      registers: [registry],
    }),
  };
  for (const outcome of RESERVE_OUTCOMES) metrics.reservations.inc({ outcome }, 0);
  for (const command of COMMANDS) {
    for (const outcome of COMMAND_OUTCOMES) metrics.transitions.inc({ command, outcome }, 0);
  }
  return metrics;
}

// Active reservations past their expiry, counted at every scrape by the API process, so the series is
// there (and rising) when the sweeper is not running. A failed count keeps the last value.
export function registerOverdueReservations(registry: Registry, count: () => Promise<number>): void {
  new Gauge({
    name: "warehouse_reservations_overdue",
    help: "Active reservations past their expiry that no sweeper has expired yet.",
    registers: [registry],
    async collect() {
      try {
        this.set(await count());
      } catch {
        // The database is unreachable: /readyz says so; the scrape keeps the other series.
      }
    },
  });
}
