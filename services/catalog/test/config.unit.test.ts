// The catalog's relay and stock-consumer settings: the same OUTBOX_* fields as every service with a relay
// (linger on by default, a topic prefix), and the stock topic and group named by the messaging package.
import { ConfigError } from "@stockroom/config";
import { describe, expect, it } from "vitest";
import { loadCatalogConfig } from "../src/config.ts";

const BASE = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/stockroom",
  REDIS_URL: "redis://127.0.0.1:6379",
  KAFKA_BROKERS: "127.0.0.1:9092",
  JWT_SECRET: "config-test-secret-config-test-secret!",
};

describe("catalog outbox relay settings", () => {
  it("lingers 50 ms between passes under load unless set, and refuses a negative value", () => {
    expect(loadCatalogConfig(BASE).OUTBOX_LINGER_MS).toBe(50);
    expect(loadCatalogConfig({ ...BASE, CATALOG_OUTBOX_LINGER_MS: "0" }).OUTBOX_LINGER_MS).toBe(0);
    expect(() => loadCatalogConfig({ ...BASE, CATALOG_OUTBOX_LINGER_MS: "-1" })).toThrow(ConfigError);
  });

  it("takes a topic prefix (empty unless set) and refuses characters a topic name cannot carry", () => {
    expect(loadCatalogConfig(BASE).OUTBOX_TOPIC_PREFIX).toBe("");
    expect(loadCatalogConfig({ ...BASE, CATALOG_OUTBOX_TOPIC_PREFIX: "bench-1." }).OUTBOX_TOPIC_PREFIX).toBe(
      "bench-1.",
    );
    expect(() => loadCatalogConfig({ ...BASE, CATALOG_OUTBOX_TOPIC_PREFIX: "bad prefix/" })).toThrow(
      /OUTBOX_TOPIC_PREFIX/,
    );
  });

  it("reads warehouse.stock.v1 in group catalog.stock-projection unless told otherwise", () => {
    const config = loadCatalogConfig(BASE);
    expect(config.STOCK_EVENTS_TOPIC).toBe("warehouse.stock.v1");
    expect(config.STOCK_CONSUMER_GROUP).toBe("catalog.stock-projection");
  });
});

describe("CATALOG_DB_SCHEMA", () => {
  it("is catalog unless set, and refuses a name PostgreSQL would need quoted, naming the variable", () => {
    expect(loadCatalogConfig(BASE).DB_SCHEMA).toBe("catalog");
    expect(loadCatalogConfig({ ...BASE, CATALOG_DB_SCHEMA: "bench_1a" }).DB_SCHEMA).toBe("bench_1a");
    for (const value of ["Catalog", "1st", "a-b"]) {
      expect(() => loadCatalogConfig({ ...BASE, CATALOG_DB_SCHEMA: value })).toThrow(/DB_SCHEMA/);
    }
  });
});

describe("CATALOG_HTTP_PORT and CATALOG_CORS_ALLOWED_ORIGINS", () => {
  it("serves Connect on 8452 with no CORS origins unless set; takes a port and a comma list", () => {
    const defaults = loadCatalogConfig(BASE);
    expect(defaults.HTTP_PORT).toBe(8452);
    expect(defaults.CORS_ALLOWED_ORIGINS).toEqual([]);
    const set = loadCatalogConfig({ ...BASE, CATALOG_HTTP_PORT: "18452", CATALOG_CORS_ALLOWED_ORIGINS: "*" });
    expect(set.HTTP_PORT).toBe(18452);
    expect(set.CORS_ALLOWED_ORIGINS).toEqual(["*"]);
  });

  it("refuses a port out of range, naming the variable", () => {
    expect(() => loadCatalogConfig({ ...BASE, CATALOG_HTTP_PORT: "port" })).toThrow(/HTTP_PORT/);
  });
});
