// What the use cases and the saga report (the prom-client implementation is order-metrics.ts).
export interface OrderMetrics {
  checkoutStarted(): void;
  checkoutFinished(outcome: "confirmed" | "compensated" | "abandoned"): void;
  needsAttention(reason: string): void;
  stepRun(step: string, outcome: string, seconds: number): void;
  paymentOutcome(provider: string, outcome: string): void;
}
