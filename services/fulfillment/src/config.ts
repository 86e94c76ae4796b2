// Fulfillment configuration from the environment. Variables may carry the FULFILLMENT_ prefix
// (FULFILLMENT_GRPC_PORT before GRPC_PORT) so one shell can run several services.
import {
  apiServerConfigShape,
  authConfigShape,
  checkAuthConfig,
  commaList,
  commonConfigShape,
  durationMs,
  type Env,
  loadConfig,
  nonEmptyString,
  outboxRelayConfigShape,
  port,
  positiveInt,
  schemaName,
  z,
} from "@stockroom/config";
import { FULFILLMENT_ORDER_EVENTS_GROUP, ORDER_TOPIC } from "@stockroom/messaging";
import { DEFAULT_QC_POLICY, type QcPolicy } from "./domain/package.ts";
import { DEFAULT_REFUND_POLICY, DEFAULT_RETURN_WINDOW_MS, type RefundPolicy } from "./domain/return-rules.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./domain/warehouse-command.ts";

export const CONFIG_PREFIX = "FULFILLMENT_";

// What one process runs: the gRPC (and Connect) API, the order-events consumer, the warehouse command
// worker and the outbox relay.
export const FULFILLMENT_COMPONENTS = ["api", "consumer", "commands", "relay"] as const;
export type FulfillmentComponent = (typeof FULFILLMENT_COMPONENTS)[number];

const fraction = () => z.coerce.number().min(0).max(1);

export const fulfillmentConfigSchema = z
  .object({
    ...commonConfigShape,
    ...authConfigShape,
    ...outboxRelayConfigShape,
    ...apiServerConfigShape({ grpc: 50054, http: 8454, metrics: 9454 }),
    DB_SCHEMA: schemaName().default("fulfillment"),
    // Where the warehouse's WarehouseService listens (host:port); calls are signed with JWT_SECRET.
    WAREHOUSE_GRPC_ADDRESS: nonEmptyString().default("127.0.0.1:50051"),
    WAREHOUSE_DEADLINE_MS: durationMs().default(10_000),
    // Where the catalog's CatalogService listens: product weights for the pack weight check.
    CATALOG_GRPC_ADDRESS: nonEmptyString().default("127.0.0.1:50052"),
    CATALOG_DEADLINE_MS: durationMs().default(5_000),
    COMMAND_INTERVAL_MS: durationMs().default(500),
    COMMAND_BATCH_SIZE: positiveInt().default(50),
    // A claimed command is invisible to other workers this long while its call runs.
    COMMAND_LEASE_MS: durationMs().default(30_000),
    COMMAND_RETRY_BASE_MS: durationMs().default(DEFAULT_RETRY_POLICY.baseDelayMs),
    COMMAND_RETRY_MAX_MS: durationMs().default(DEFAULT_RETRY_POLICY.maxDelayMs),
    COMMAND_MAX_ATTEMPTS: positiveInt().default(DEFAULT_RETRY_POLICY.maxAttempts),
    ORDER_EVENTS_TOPIC: nonEmptyString().default(ORDER_TOPIC),
    ORDER_EVENTS_GROUP: nonEmptyString().default(FULFILLMENT_ORDER_EVENTS_GROUP),
    // Pack weight check: |measured - expected| <= max(tolerance x expected, minimum grams).
    WEIGHT_TOLERANCE: fraction().default(DEFAULT_QC_POLICY.weightTolerance),
    WEIGHT_TOLERANCE_MIN_GRAMS: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_QC_POLICY.weightToleranceMinGrams),
    // QC is mandatory at or above this fulfillment value (minor units); 0 turns the rule off.
    QC_ORDER_VALUE_THRESHOLD_MINOR: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_QC_POLICY.orderValueThresholdMinor ?? 0),
    QC_SAMPLE_RATE: fraction().default(DEFAULT_QC_POLICY.sampleRate),
    RETURN_WINDOW_MS: durationMs().default(DEFAULT_RETURN_WINDOW_MS),
    RESTOCKING_FEE_RATE: fraction().default(DEFAULT_REFUND_POLICY.restockingFeeRate),
    RETURN_TAX_RATE: fraction().default(DEFAULT_REFUND_POLICY.taxRate),
    // The carriers' delivery webhook (POST /webhooks/carrier), served when its secret is set.
    WEBHOOK_PORT: port().default(50064),
    CARRIER_WEBHOOK_SECRET: nonEmptyString().optional(),
    CARRIER_WEBHOOK_TOLERANCE_MS: durationMs().default(300_000),
    SHUTDOWN_GRACE_MS: durationMs().default(10_000),
    COMPONENTS: commaList()
      .pipe(z.array(z.enum(FULFILLMENT_COMPONENTS)).min(1))
      .default([...FULFILLMENT_COMPONENTS]),
  })
  .superRefine(checkAuthConfig)
  .superRefine((config, ctx) => {
    if (config.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "the fulfillment service signs its calls to WAREHOUSE_GRPC_ADDRESS with JWT_SECRET",
      });
    }
  });

type RawFulfillmentConfig = z.output<typeof fulfillmentConfigSchema>;

export interface FulfillmentConfig extends RawFulfillmentConfig {
  qcPolicy: QcPolicy;
  refundPolicy: RefundPolicy;
  retryPolicy: RetryPolicy;
}

export function loadFulfillmentConfig(env: Env = process.env): FulfillmentConfig {
  const raw = loadConfig(fulfillmentConfigSchema, env, { prefix: CONFIG_PREFIX });
  return {
    ...raw,
    qcPolicy: {
      weightTolerance: raw.WEIGHT_TOLERANCE,
      weightToleranceMinGrams: raw.WEIGHT_TOLERANCE_MIN_GRAMS,
      orderValueThresholdMinor:
        raw.QC_ORDER_VALUE_THRESHOLD_MINOR === 0 ? null : raw.QC_ORDER_VALUE_THRESHOLD_MINOR,
      sampleRate: raw.QC_SAMPLE_RATE,
    },
    refundPolicy: { restockingFeeRate: raw.RESTOCKING_FEE_RATE, taxRate: raw.RETURN_TAX_RATE },
    retryPolicy: {
      baseDelayMs: raw.COMMAND_RETRY_BASE_MS,
      maxDelayMs: raw.COMMAND_RETRY_MAX_MS,
      maxAttempts: raw.COMMAND_MAX_ATTEMPTS,
    },
  };
}
