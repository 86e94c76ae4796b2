// Domain metrics of the order service (RPC metrics come from the grpc package): checkouts by outcome,
// attention by reason, step latency and attempts, the oldest unfinished saga, payment outcomes by
// provider, the breaker state per dependency (INT-P1-03).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { OrderMetrics } from "./app/order-metrics.port.ts";
import { ATTENTION_REASONS } from "./domain/checkout-saga.ts";

export interface OrderServiceMetrics extends OrderMetrics {
  oldestUnfinishedSagaSeconds: Gauge;
  breakerState(dependency: string, state: "closed" | "open" | "half_open"): void;
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export function createOrderMetrics(registry: Registry): OrderServiceMetrics {
  const started = new Counter({
    name: "order_checkouts_started_total",
    help: "Checkouts started.",
    registers: [registry],
  });
  const finished = new Counter({
    name: "order_checkouts_finished_total",
    help: "Checkouts ended: confirmed, compensated (rejected or cancelled, nothing held or charged), abandoned by ops.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const attention = new Counter({
    name: "order_checkouts_needing_attention_total",
    help: "Checkouts put in needs_attention, by reason (the current count is order_checkouts_needing_attention).",
    labelNames: ["reason"],
    registers: [registry],
  });
  const steps = new Histogram({
    name: "order_checkout_step_seconds",
    help: "One run of a checkout step (its remote calls), by step and outcome; the count is the attempts.",
    labelNames: ["step", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const payments = new Counter({
    name: "order_payment_outcomes_total",
    help: "Payment authorization outcomes by provider.",
    labelNames: ["provider", "outcome"],
    registers: [registry],
  });
  const breakers = new Gauge({
    name: "order_dependency_breaker_state",
    help: "Circuit breaker per dependency: 0 closed, 1 half open, 2 open.",
    labelNames: ["dependency"],
    registers: [registry],
  });
  return {
    checkoutStarted: () => started.inc(),
    checkoutFinished: (outcome) => finished.inc({ outcome }),
    needsAttention: (reason) => attention.inc({ reason }),
    stepRun: (step, outcome, seconds) => steps.observe({ step, outcome }, seconds),
    paymentOutcome: (provider, outcome) => payments.inc({ provider, outcome }),
    oldestUnfinishedSagaSeconds: new Gauge({
      name: "order_oldest_unfinished_checkout_seconds",
      help: "Age of the oldest checkout saga not yet confirmed, failed or abandoned.",
      registers: [registry],
    }),
    breakerState: (dependency, state) => breakers.set({ dependency }, BREAKER_VALUE[state]),
  };
}

// Checkouts in needs_attention now, per reason, counted from the database at every scrape (the
// CheckoutsStuck alert's series): it falls back to 0 once ops retried or abandoned them, which the
// counter above cannot. Every known reason is present, at 0 when none waits. A failed count keeps the
// last values (the database is unreachable: /readyz says so).
export function registerCheckoutsNeedingAttention(
  registry: Registry,
  count: () => Promise<Map<string, number>>,
): void {
  new Gauge({
    name: "order_checkouts_needing_attention",
    help: "Checkouts in needs_attention now (an operator must retry or abandon them), by reason.",
    labelNames: ["reason"],
    registers: [registry],
    async collect() {
      let counts: Map<string, number>;
      try {
        counts = await count();
      } catch {
        return;
      }
      this.reset();
      for (const reason of new Set([...ATTENTION_REASONS, ...counts.keys()])) {
        this.set({ reason }, counts.get(reason) ?? 0);
      }
    },
  });
}
