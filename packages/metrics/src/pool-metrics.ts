// PostgreSQL pool gauges, read from the pool at every scrape: connections open, idle, and callers waiting
// for one (waiting > 0 for minutes is saturation: DatabasePoolSaturated). Several pools may share a
// registry (the warehouse's main and reserve pools), told apart by the label "pool".
import { Gauge, type Registry } from "prom-client";

/** What node-postgres's Pool exposes (pg.Pool satisfies it); no dependency on pg here. */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

const GAUGES = [
  ["db_pool_total_clients", "PostgreSQL connections the pool holds, busy or idle.", "totalCount"],
  ["db_pool_idle_clients", "PostgreSQL connections of the pool that are idle.", "idleCount"],
  ["db_pool_waiting_clients", "Callers waiting for a PostgreSQL connection of the pool.", "waitingCount"],
] as const;

const poolsOf = new WeakMap<Registry, Map<string, PoolCounts>>();

export function registerPoolMetrics(registry: Registry, pool: PoolCounts, name = "main"): void {
  let pools = poolsOf.get(registry);
  if (!pools) {
    const registered = new Map<string, PoolCounts>();
    pools = registered;
    poolsOf.set(registry, registered);
    for (const [metric, help, field] of GAUGES) {
      new Gauge({
        name: metric,
        help,
        labelNames: ["pool"],
        registers: [registry],
        collect() {
          for (const [label, counts] of registered) this.set({ pool: label }, counts[field]);
        },
      });
    }
  }
  pools.set(name, pool);
}
