// Review configuration from the environment. Variables may carry the REVIEW_ prefix
// (REVIEW_GRPC_PORT before GRPC_PORT) so one shell can run several services.
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
  positiveInt,
  retentionConfigShape,
  schemaName,
  z,
} from "@stockroom/config";
import { ORDER_TOPIC, REVIEW_ORDER_EVENTS_GROUP } from "@stockroom/messaging";
import type { ReviewPolicy } from "./domain/review-policy.ts";

export const CONFIG_PREFIX = "REVIEW_";

// What happens to a review whose purchase is not proven: refused, or kept unverified and held for
// moderation (never published or counted as verified without a moderator).
export const UNVERIFIED_MODES = ["refuse", "moderate"] as const;

export const reviewConfigSchema = z
  .object({
    ...commonConfigShape,
    ...authConfigShape,
    ...outboxRelayConfigShape,
    ...retentionConfigShape,
    ...apiServerConfigShape({ grpc: 50055, http: 8455, metrics: 9455 }),
    DB_SCHEMA: schemaName().default("review"),
    UNVERIFIED_REVIEWS: z.enum(UNVERIFIED_MODES).default("refuse"),
    // Abuse limits: reviews one customer may submit per rolling day, and how long the same body from
    // one customer is refused again.
    MAX_REVIEWS_PER_CUSTOMER_PER_DAY: positiveInt().default(10),
    DUPLICATE_BODY_WINDOW_MS: durationMs().default(30 * 24 * 3_600_000),
    // The order service's OrderService (host:port): when set, a purchase not yet in the local
    // projection is asked of its VerifyPurchase behind a breaker; any error or timeout: not verified.
    ORDER_GRPC_ADDRESS: nonEmptyString().optional(),
    ORDER_VERIFY_DEADLINE_MS: durationMs().default(1_000),
    ORDER_EVENTS_TOPIC: nonEmptyString().default(ORDER_TOPIC),
    ORDER_EVENTS_GROUP: nonEmptyString().default(REVIEW_ORDER_EVENTS_GROUP),
    SHUTDOWN_GRACE_MS: durationMs().default(10_000),
  })
  .superRefine(checkAuthConfig)
  .superRefine((config, ctx) => {
    if (config.ORDER_GRPC_ADDRESS !== undefined && config.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "the review service signs its calls to ORDER_GRPC_ADDRESS with JWT_SECRET",
      });
    }
  });

type RawReviewConfig = z.output<typeof reviewConfigSchema>;

export interface ReviewConfig extends RawReviewConfig {
  policy: ReviewPolicy;
}

export function loadReviewConfig(env: Env = process.env): ReviewConfig {
  const raw = loadConfig(reviewConfigSchema, env, { prefix: CONFIG_PREFIX });
  return {
    ...raw,
    policy: {
      unverified: raw.UNVERIFIED_REVIEWS,
      maxReviewsPerDay: raw.MAX_REVIEWS_PER_CUSTOMER_PER_DAY,
      duplicateBodyWindowMs: raw.DUPLICATE_BODY_WINDOW_MS,
    },
  };
}
