// Order service configuration from the environment. Variables may carry the ORDER_ prefix
// (ORDER_GRPC_PORT before GRPC_PORT) so one shell can run several services.
import {
  apiServerConfigShape,
  authConfigShape,
  checkAuthConfig,
  commonConfigShape,
  durationMs,
  type Env,
  loadConfig,
  nonEmptyString,
  outboxRelayConfigShape,
  port,
  positiveInt,
  retentionConfigShape,
  schemaName,
  url,
  z,
} from "@stockroom/config";
import { type AfterCheckoutPolicy, DEFAULT_AFTER_CHECKOUT_POLICY } from "./domain/after-checkout-policy.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./domain/checkout-saga.ts";
import { DEFAULT_PAYMENT_HOLD, type PaymentHoldPolicy } from "./domain/payment-hold.ts";

export const CONFIG_PREFIX = "ORDER_";

export const orderConfigSchema = z
  .object({
    ...commonConfigShape,
    ...authConfigShape,
    // The outbox relay publishes order.order.v1; topics are created up front.
    ...outboxRelayConfigShape,
    // Pruning of event_processing_log and expired idempotency records.
    ...retentionConfigShape,
    // gRPC, the same API over Connect/JSON (HTTP_PORT), and /metrics.
    ...apiServerConfigShape({ grpc: 50053, http: 8453, metrics: 9453 }),
    // Payment provider webhooks (node:http): POST /webhooks/<provider>.
    WEBHOOK_PORT: port().default(50063),
    DB_SCHEMA: schemaName().default("order"),
    WAREHOUSE_GRPC_ADDRESS: nonEmptyString().default("127.0.0.1:50051"),
    CATALOG_GRPC_ADDRESS: nonEmptyString().default("127.0.0.1:50052"),
    // Per call, covering the client's retries of UNAVAILABLE.
    DEPENDENCY_DEADLINE_MS: durationMs().default(5_000),
    // The breaker per dependency: opens after this many calls in its window fail at half or more.
    BREAKER_VOLUME_THRESHOLD: positiveInt().default(5),
    BREAKER_RESET_MS: durationMs().default(5_000),
    PAYMENT_SANDBOX_URL: url({ protocols: ["http", "https"] }).default("http://127.0.0.1:50060"),
    // Unset: the sandbox provider is off (cards and e-wallets are then refused at SetPaymentMethod).
    PAYMENT_SANDBOX_WEBHOOK_SECRET: nonEmptyString().optional(),
    PAYMENT_TIMEOUT_MS: durationMs().default(5_000),
    DEFAULT_CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, "expected an ISO 4217 code")
      .default("EUR"),
    STOCK_HOLD_MODE: z.enum(["at_checkout", "from_add_to_cart"]).default("at_checkout"),
    // The abandoned-cart worker (from_add_to_cart): open carts idle this long are abandoned and their
    // stock holds released (ORD-P1-01); it looks every CART_ABANDON_INTERVAL_MS and also releases holds
    // carts let go of.
    CART_ABANDON_AFTER_MS: durationMs().default(60 * 60_000),
    CART_ABANDON_INTERVAL_MS: durationMs().default(30_000),
    CART_ABANDON_BATCH_SIZE: positiveInt().default(100),
    // A cart command's hold intent this old has lost its command (a crash): the worker releases it.
    CART_HOLD_INTENT_TIMEOUT_MS: durationMs().default(60_000),
    // StartCheckout waits this long for the stock answer (reserved, or short with what is available) so a
    // shortfall is its FAILED_PRECONDITION; past it, it answers with the pending order. 0: answer at once.
    CHECKOUT_STOCK_ANSWER_WAIT_MS: durationMs().default(3_000),
    // The saga worker: how often it looks for due checkouts, how many it takes at once, and how long a
    // claimed step is leased before another worker may take it over (longer than any step's calls).
    SAGA_INTERVAL_MS: durationMs().default(200),
    SAGA_BATCH_SIZE: positiveInt().default(32),
    SAGA_STEP_LEASE_MS: durationMs().default(30_000),
    SAGA_MAX_ATTEMPTS: positiveInt().default(DEFAULT_RETRY_POLICY.maxAttempts),
    SAGA_RETRY_BASE_MS: durationMs().default(DEFAULT_RETRY_POLICY.baseDelayMs),
    SAGA_UNKNOWN_OUTCOME_DEADLINE_MS: durationMs().default(DEFAULT_RETRY_POLICY.unknownOutcomeDeadlineMs),
    HOLD_CARD_MS: durationMs().default(DEFAULT_PAYMENT_HOLD.card),
    HOLD_E_WALLET_MS: durationMs().default(DEFAULT_PAYMENT_HOLD.e_wallet),
    HOLD_BANK_TRANSFER_MS: durationMs().default(DEFAULT_PAYMENT_HOLD.bank_transfer),
    HOLD_CASH_ON_DELIVERY_MS: durationMs().default(DEFAULT_PAYMENT_HOLD.cash_on_delivery),
    // After checkout: what a fulfillment short does, and the refund and order-calls workers (how often
    // they look, how many they take, the backoff of one refund or call, and when its order needs
    // attention instead).
    SHORT_POLICY: z.enum(["refund"]).default(DEFAULT_AFTER_CHECKOUT_POLICY.shortPolicy),
    AFTER_CHECKOUT_INTERVAL_MS: durationMs().default(500),
    AFTER_CHECKOUT_BATCH_SIZE: positiveInt().default(32),
    REFUND_RETRY_BASE_MS: durationMs().default(DEFAULT_AFTER_CHECKOUT_POLICY.baseDelayMs),
    REFUND_RETRY_MAX_MS: durationMs().default(DEFAULT_AFTER_CHECKOUT_POLICY.maxDelayMs),
    REFUND_GIVE_UP_AFTER_MS: durationMs().default(DEFAULT_AFTER_CHECKOUT_POLICY.giveUpAfterMs),
    SHUTDOWN_GRACE_MS: durationMs().default(10_000),
  })
  .superRefine(checkAuthConfig)
  .superRefine((config, ctx) => {
    if (config.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "the order service signs its calls to the warehouse and the catalog with JWT_SECRET",
      });
    }
  });

type RawOrderConfig = z.output<typeof orderConfigSchema>;

export interface OrderConfig extends RawOrderConfig {
  paymentHold: PaymentHoldPolicy;
  retryPolicy: RetryPolicy;
  afterCheckout: AfterCheckoutPolicy;
}

export function loadOrderConfig(env: Env = process.env): OrderConfig {
  // Locally the sandbox's port is set once (deploy/local/env.sh); its URL follows from it.
  const withSandbox =
    env.PAYMENT_SANDBOX_HTTP_PORT && !env.ORDER_PAYMENT_SANDBOX_URL && !env.PAYMENT_SANDBOX_URL
      ? { ...env, PAYMENT_SANDBOX_URL: `http://127.0.0.1:${env.PAYMENT_SANDBOX_HTTP_PORT}` }
      : env;
  const raw = loadConfig(orderConfigSchema, withSandbox, { prefix: CONFIG_PREFIX });
  return {
    ...raw,
    paymentHold: {
      card: raw.HOLD_CARD_MS,
      e_wallet: raw.HOLD_E_WALLET_MS,
      bank_transfer: raw.HOLD_BANK_TRANSFER_MS,
      cash_on_delivery: raw.HOLD_CASH_ON_DELIVERY_MS,
    },
    retryPolicy: {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: raw.SAGA_MAX_ATTEMPTS,
      baseDelayMs: raw.SAGA_RETRY_BASE_MS,
      unknownOutcomeDeadlineMs: raw.SAGA_UNKNOWN_OUTCOME_DEADLINE_MS,
    },
    afterCheckout: {
      ...DEFAULT_AFTER_CHECKOUT_POLICY,
      shortPolicy: raw.SHORT_POLICY,
      baseDelayMs: raw.REFUND_RETRY_BASE_MS,
      maxDelayMs: raw.REFUND_RETRY_MAX_MS,
      giveUpAfterMs: raw.REFUND_GIVE_UP_AFTER_MS,
    },
  };
}
