// The order service's configuration: the ports it serves on (gRPC, Connect/JSON, metrics), retention,
// the cart holds' abandon timeout and StartCheckout's wait for the stock answer, with their defaults.
import { describe, expect, it } from "vitest";
import { loadOrderConfig } from "../src/config.ts";

const BASE = {
  DATABASE_URL: "postgres://u@127.0.0.1:5432/db",
  KAFKA_BROKERS: "127.0.0.1:9092",
  JWT_SECRET: "order-config-test-secret-0123456789abcdef",
};

describe("order config", () => {
  it("serves gRPC on 50053, Connect on 8453 and metrics on 9453 unless set", () => {
    const defaults = loadOrderConfig(BASE);
    expect(defaults.GRPC_PORT).toBe(50053);
    expect(defaults.HTTP_PORT).toBe(8453);
    expect(defaults.METRICS_PORT).toBe(9453);
    expect(defaults.CORS_ALLOWED_ORIGINS).toEqual([]);
    const set = loadOrderConfig({ ...BASE, ORDER_HTTP_PORT: "18453", ORDER_CORS_ALLOWED_ORIGINS: "*" });
    expect(set.HTTP_PORT).toBe(18453);
    expect(set.CORS_ALLOWED_ORIGINS).toEqual(["*"]);
  });

  it("prunes the processing log after 30 days by default", () => {
    expect(loadOrderConfig(BASE).PROCESSING_LOG_RETENTION_MS).toBe(30 * 24 * 3_600_000);
    expect(
      loadOrderConfig({ ...BASE, ORDER_PROCESSING_LOG_RETENTION_MS: "7d" }).PROCESSING_LOG_RETENTION_MS,
    ).toBe(7 * 24 * 3_600_000);
  });

  it("holds stock at checkout by default; abandons idle carts after an hour; waits 3 s for the stock answer", () => {
    const defaults = loadOrderConfig(BASE);
    expect(defaults.STOCK_HOLD_MODE).toBe("at_checkout");
    expect(defaults.CART_ABANDON_AFTER_MS).toBe(3_600_000);
    expect(defaults.CHECKOUT_STOCK_ANSWER_WAIT_MS).toBe(3_000);
    const set = loadOrderConfig({
      ...BASE,
      ORDER_STOCK_HOLD_MODE: "from_add_to_cart",
      ORDER_CART_ABANDON_AFTER_MS: "20m",
      ORDER_CHECKOUT_STOCK_ANSWER_WAIT_MS: "0",
    });
    expect(set.STOCK_HOLD_MODE).toBe("from_add_to_cart");
    expect(set.CART_ABANDON_AFTER_MS).toBe(1_200_000);
    expect(set.CHECKOUT_STOCK_ANSWER_WAIT_MS).toBe(0);
  });

  it("refuses a hold mode it does not know, naming the variable", () => {
    expect(() => loadOrderConfig({ ...BASE, ORDER_STOCK_HOLD_MODE: "never" })).toThrow(/STOCK_HOLD_MODE/);
  });
});
