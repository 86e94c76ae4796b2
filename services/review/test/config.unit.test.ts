// Review configuration: defaults, the REVIEW_ prefix, the unverified-review mode and its refusals.
import { ConfigError } from "@stockroom/config";
import { describe, expect, it } from "vitest";
import { loadReviewConfig } from "../src/config.ts";

const BASE = {
  DATABASE_URL: "postgres://u@localhost:5432/stockroom",
  KAFKA_BROKERS: "127.0.0.1:9092",
  JWT_SECRET: "test-secret-0123456789abcdef-0123456789",
};

describe("loadReviewConfig", () => {
  it("defaults to the review ports, refusing unverified reviews, no order service", () => {
    const config = loadReviewConfig(BASE);
    expect(config).toMatchObject({
      GRPC_PORT: 50055,
      HTTP_PORT: 8455,
      METRICS_PORT: 9455,
      DB_SCHEMA: "review",
    });
    expect(config.policy).toEqual({
      unverified: "refuse",
      maxReviewsPerDay: 10,
      duplicateBodyWindowMs: 2_592_000_000,
    });
    expect(config.ORDER_GRPC_ADDRESS).toBeUndefined();
  });

  it("reads REVIEW_-prefixed variables first", () => {
    const config = loadReviewConfig({
      ...BASE,
      GRPC_PORT: "1",
      REVIEW_GRPC_PORT: "60055",
      REVIEW_UNVERIFIED_REVIEWS: "moderate",
      REVIEW_MAX_REVIEWS_PER_CUSTOMER_PER_DAY: "3",
    });
    expect(config.GRPC_PORT).toBe(60055);
    expect(config.policy).toMatchObject({ unverified: "moderate", maxReviewsPerDay: 3 });
  });

  it("refuses an unknown mode, and an order service address without a secret to sign the calls", () => {
    expect(() => loadReviewConfig({ ...BASE, UNVERIFIED_REVIEWS: "publish" })).toThrow(ConfigError);
    expect(() =>
      loadReviewConfig({
        DATABASE_URL: BASE.DATABASE_URL,
        KAFKA_BROKERS: BASE.KAFKA_BROKERS,
        JWT_JWKS_URL: "https://idp.example/jwks",
        ORDER_GRPC_ADDRESS: "order:50053",
      }),
    ).toThrow(/JWT_SECRET/);
  });
});
