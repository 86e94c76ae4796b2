// The fulfillment's settings: the warehouse and catalog addresses (local defaults), the secret it signs with, the QC, refund and retry
// policies built from their variables (defaults from the domain), the components one process runs.
import { ConfigError } from "@stockroom/config";
import { describe, expect, it } from "vitest";
import { loadFulfillmentConfig } from "../src/config.ts";
import { DEFAULT_QC_POLICY } from "../src/domain/package.ts";
import { DEFAULT_RETURN_WINDOW_MS } from "../src/domain/return-rules.ts";

const BASE = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/stockroom",
  KAFKA_BROKERS: "127.0.0.1:9092",
  JWT_SECRET: "config-test-secret-config-test-secret!",
  WAREHOUSE_GRPC_ADDRESS: "127.0.0.1:50051",
};

describe("fulfillment config", () => {
  it("defaults: schema fulfillment, the domain's QC policy, a 30-day return window, every component", () => {
    const config = loadFulfillmentConfig(BASE);
    expect(config.DB_SCHEMA).toBe("fulfillment");
    expect(config.qcPolicy).toEqual(DEFAULT_QC_POLICY);
    expect(config.RETURN_WINDOW_MS).toBe(DEFAULT_RETURN_WINDOW_MS);
    expect(config.COMPONENTS).toEqual(["api", "consumer", "commands", "relay"]);
    expect([config.GRPC_PORT, config.HTTP_PORT, config.METRICS_PORT]).toEqual([50054, 8454, 9454]);
    expect(config.ORDER_EVENTS_TOPIC).toBe("order.order.v1");
    expect(config.ORDER_EVENTS_GROUP).toBe("fulfillment.order-events");
  });

  it("reads FULFILLMENT_ variables first, and turns the value threshold off with 0", () => {
    const config = loadFulfillmentConfig({
      ...BASE,
      FULFILLMENT_WEIGHT_TOLERANCE: "0.1",
      FULFILLMENT_QC_ORDER_VALUE_THRESHOLD_MINOR: "0",
      FULFILLMENT_COMPONENTS: "commands",
    });
    expect(config.qcPolicy).toMatchObject({ weightTolerance: 0.1, orderValueThresholdMinor: null });
    expect(config.COMPONENTS).toEqual(["commands"]);
  });

  it("defaults the warehouse address; refuses to start without the secret, or with a rate above 1, naming each", () => {
    const { WAREHOUSE_GRPC_ADDRESS: _address, JWT_SECRET: _secret, ...rest } = BASE;
    expect(loadFulfillmentConfig({ ...rest, JWT_SECRET: BASE.JWT_SECRET }).WAREHOUSE_GRPC_ADDRESS).toBe(
      "127.0.0.1:50051",
    );
    expect(() => loadFulfillmentConfig({ ...rest, WAREHOUSE_GRPC_ADDRESS: "w:1" })).toThrow(/JWT_SECRET/);
    expect(() => loadFulfillmentConfig({ ...BASE, QC_SAMPLE_RATE: "1.5" })).toThrow(ConfigError);
    expect(() => loadFulfillmentConfig({ ...BASE, COMPONENTS: "web" })).toThrow(/COMPONENTS/);
  });
});
