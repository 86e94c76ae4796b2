// What a warehouse process runs is configuration: every component by default, a named subset otherwise.
import { readFileSync } from "node:fs";
import { ConfigError, DEVELOPMENT_JWT_SECRET } from "@stockroom/config";
import { describe, expect, it } from "vitest";
import { loadWarehouseConfig } from "../src/config.ts";

const BASE = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/stockroom",
  KAFKA_BROKERS: "127.0.0.1:9092",
  JWT_SECRET: "config-test-secret-config-test-secret!",
};

describe("WAREHOUSE_COMPONENTS", () => {
  it("runs the API, the relay and the sweeper unless told otherwise", () => {
    expect(loadWarehouseConfig(BASE).COMPONENTS).toEqual(["api", "relay", "sweeper"]);
  });

  it("runs the named subset (an API pod without the relay, a relay worker)", () => {
    expect(loadWarehouseConfig({ ...BASE, WAREHOUSE_COMPONENTS: "api, sweeper" }).COMPONENTS).toEqual([
      "api",
      "sweeper",
    ]);
    expect(loadWarehouseConfig({ ...BASE, WAREHOUSE_COMPONENTS: "relay" }).COMPONENTS).toEqual(["relay"]);
  });

  it("refuses an unknown or empty component list, naming the variable", () => {
    for (const value of ["api,relays", ","]) {
      let error: unknown;
      try {
        loadWarehouseConfig({ ...BASE, WAREHOUSE_COMPONENTS: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/COMPONENTS/);
    }
  });
});

describe("WAREHOUSE_OUTBOX_TOPIC_PREFIX", () => {
  it("is empty unless set, and refuses characters a topic name cannot carry", () => {
    expect(loadWarehouseConfig(BASE).OUTBOX_TOPIC_PREFIX).toBe("");
    expect(
      loadWarehouseConfig({ ...BASE, WAREHOUSE_OUTBOX_TOPIC_PREFIX: "bench-1." }).OUTBOX_TOPIC_PREFIX,
    ).toBe("bench-1.");
    expect(() => loadWarehouseConfig({ ...BASE, WAREHOUSE_OUTBOX_TOPIC_PREFIX: "bad prefix/" })).toThrow(
      /OUTBOX_TOPIC_PREFIX/,
    );
  });
});

describe("WAREHOUSE_OUTBOX_LINGER_MS", () => {
  it("is 50 ms unless set, may be 0 (a pass per wake), and refuses a negative or fractional value", () => {
    expect(loadWarehouseConfig(BASE).OUTBOX_LINGER_MS).toBe(50);
    expect(loadWarehouseConfig({ ...BASE, WAREHOUSE_OUTBOX_LINGER_MS: "0" }).OUTBOX_LINGER_MS).toBe(0);
    for (const value of ["-1", "2.5", "soon"]) {
      expect(() => loadWarehouseConfig({ ...BASE, WAREHOUSE_OUTBOX_LINGER_MS: value })).toThrow(
        /OUTBOX_LINGER_MS/,
      );
    }
  });
});

describe("auth configuration", () => {
  const withoutSecret = { DATABASE_URL: BASE.DATABASE_URL, KAFKA_BROKERS: BASE.KAFKA_BROKERS };

  function problems(env: Record<string, string>): Record<string, string> {
    try {
      loadWarehouseConfig(env);
    } catch (err) {
      if (err instanceof ConfigError)
        return Object.fromEntries(err.problems.map((p) => [p.variable, p.message]));
      throw err;
    }
    return {};
  }

  it("refuses to start in production with the development secret from deploy/local/env.sh", () => {
    const envSh = readFileSync(new URL("../../../deploy/local/env.sh", import.meta.url), "utf8");
    // The constant is the one env.sh exports, so the check cannot drift from the script.
    expect(envSh).toContain(`JWT_SECRET:-${DEVELOPMENT_JWT_SECRET}}`);
    const dev = { ...withoutSecret, JWT_SECRET: DEVELOPMENT_JWT_SECRET };
    expect(loadWarehouseConfig(dev).STOCKROOM_ENV).toBe("development");
    expect(problems({ ...dev, STOCKROOM_ENV: "production" })).toEqual({
      JWT_SECRET: expect.stringContaining("development secret"),
    });
    expect(loadWarehouseConfig({ ...BASE, STOCKROOM_ENV: "production" }).STOCKROOM_ENV).toBe("production");
  });

  it("takes an identity provider's JWKS URL instead of a secret, and needs one of the two", () => {
    const config = loadWarehouseConfig({
      ...withoutSecret,
      STOCKROOM_ENV: "production",
      JWT_JWKS_URL: "https://idp.example.test/.well-known/jwks.json",
      JWT_ISSUER: "https://idp.example.test/",
      JWT_AUDIENCE: "stockroom-api",
    });
    expect(config.JWT_SECRET).toBeUndefined();
    expect(config).toMatchObject({
      JWT_JWKS_URL: "https://idp.example.test/.well-known/jwks.json",
      JWT_ALGORITHMS: ["RS256", "ES256"],
      JWT_ISSUER: "https://idp.example.test/",
    });
    expect(Object.keys(problems(withoutSecret))).toEqual(["WAREHOUSE_JWT_SECRET (or JWT_SECRET)"]);
    expect(Object.keys(problems({ ...BASE, JWT_ALGORITHMS: "HS256" }))).toEqual(["JWT_ALGORITHMS"]);
  });
});

describe("WAREHOUSE_HTTP_PORT and WAREHOUSE_CORS_ALLOWED_ORIGINS", () => {
  it("serves Connect on 8451 with no CORS origins unless set; takes a port and a comma list", () => {
    const defaults = loadWarehouseConfig(BASE);
    expect(defaults.HTTP_PORT).toBe(8451);
    expect(defaults.CORS_ALLOWED_ORIGINS).toEqual([]);
    const set = loadWarehouseConfig({
      ...BASE,
      WAREHOUSE_HTTP_PORT: "18451",
      WAREHOUSE_CORS_ALLOWED_ORIGINS: "https://admin.example.com, https://ops.example.com",
    });
    expect(set.HTTP_PORT).toBe(18451);
    expect(set.CORS_ALLOWED_ORIGINS).toEqual(["https://admin.example.com", "https://ops.example.com"]);
  });

  it("refuses a port out of range, naming the variable", () => {
    expect(() => loadWarehouseConfig({ ...BASE, WAREHOUSE_HTTP_PORT: "70000" })).toThrow(/HTTP_PORT/);
  });
});
