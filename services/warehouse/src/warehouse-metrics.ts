// Domain metrics of the warehouse (RPC metrics come from the grpc package).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface WarehouseMetrics {
  reservations: Counter<"outcome">;
  reserveBatchSize: Histogram;
  reserveBatchSeconds: Histogram;
  transitions: Counter<"command" | "outcome">;
  expired: Counter;
  oldestActiveReservationSeconds: Gauge;
}

export function createWarehouseMetrics(registry: Registry): WarehouseMetrics {
  return {
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
  };
}
