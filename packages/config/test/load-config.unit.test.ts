import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  boolean,
  ConfigError,
  commaList,
  commonConfigSchema,
  durationMs,
  loadConfig,
  logLevel,
  port,
  positiveInt,
  postgresUrl,
} from "../src/index.ts";

const SECRET = "s".repeat(40);
const validCommon = { DATABASE_URL: "postgres://app:pw@db:5432/stockroom", JWT_SECRET: SECRET };

function captureConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("returns typed values with defaults applied", () => {
    const config = loadConfig(commonConfigSchema, validCommon);
    expect(config).toEqual({
      LOG_LEVEL: "info",
      GRPC_PORT: 50051,
      METRICS_PORT: 9464,
      DATABASE_URL: "postgres://app:pw@db:5432/stockroom",
      DB_POOL_MAX: 10,
      DB_STATEMENT_TIMEOUT: 30_000,
      JWT_SECRET: SECRET,
      JWT_ISSUER: "stockroom",
      JWT_AUDIENCE: "stockroom",
    });
  });

  it("lists every bad or missing variable with its problem", () => {
    const schema = commonConfigSchema.extend({ WAREHOUSE_GRPC_PORT: port(), KAFKA_BROKERS: commaList() });
    const err = captureConfigError(() =>
      loadConfig(schema, {
        WAREHOUSE_GRPC_PORT: "abc",
        METRICS_PORT: "70000",
        LOG_LEVEL: "loud",
        DB_POOL_MAX: "0",
        JWT_SECRET: "short",
      }),
    );
    const byVariable = Object.fromEntries(err.problems.map((p) => [p.variable, p.message]));
    expect(byVariable).toEqual({
      WAREHOUSE_GRPC_PORT: 'expected an integer between 1 and 65535, got "abc"',
      METRICS_PORT: 'expected an integer between 1 and 65535, got "70000"',
      LOG_LEVEL: 'expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      DB_POOL_MAX: 'expected an integer >= 1, got "0"',
      JWT_SECRET: "expected at least 32 characters, got <redacted, 5 characters>",
      DATABASE_URL: "required but not set",
      KAFKA_BROKERS: "required but not set",
    });
    expect(err.message).toContain(
      '  WAREHOUSE_GRPC_PORT: expected an integer between 1 and 65535, got "abc"',
    );
    expect(err.message).toMatch(/^Invalid configuration \(7 problems\):/);
  });

  it("treats empty strings as unset so defaults apply", () => {
    const config = loadConfig(commonConfigSchema, { ...validCommon, GRPC_PORT: "  ", LOG_LEVEL: "" });
    expect(config.GRPC_PORT).toBe(50051);
    expect(config.LOG_LEVEL).toBe("info");
  });

  it("never prints a URL password back", () => {
    const err = captureConfigError(() =>
      loadConfig(commonConfigSchema, { ...validCommon, DATABASE_URL: "mysql://app:hunter2@db/x" }),
    );
    expect(err.message).toContain("DATABASE_URL: expected a URL with scheme postgres:// or postgresql://");
    expect(err.message).not.toContain("hunter2");
  });

  it("reads prefixed variables first when a prefix is given", () => {
    const schema = z.object({ GRPC_PORT: port(), METRICS_PORT: port() });
    const config = loadConfig(
      schema,
      { WAREHOUSE_GRPC_PORT: "6001", GRPC_PORT: "5000", METRICS_PORT: "9100" },
      {
        prefix: "WAREHOUSE_",
      },
    );
    expect(config).toEqual({ GRPC_PORT: 6001, METRICS_PORT: 9100 });
    const err = captureConfigError(() => loadConfig(schema, { METRICS_PORT: "x" }, { prefix: "WAREHOUSE_" }));
    expect(err.problems).toEqual([
      { variable: "WAREHOUSE_GRPC_PORT (or GRPC_PORT)", message: "required but not set" },
      { variable: "METRICS_PORT", message: 'expected an integer between 1 and 65535, got "x"' },
    ]);
  });

  it("reports cross-field rules under 'config'", () => {
    const schema = z
      .object({ MIN: positiveInt(), MAX: positiveInt() })
      .refine((c) => c.MIN <= c.MAX, { message: "MIN must not exceed MAX" });
    const err = captureConfigError(() => loadConfig(schema, { MIN: "5", MAX: "2" }));
    expect(err.problems).toEqual([{ variable: "config", message: "MIN must not exceed MAX" }]);
  });
});

describe("field builders", () => {
  const parse = <T>(schema: z.ZodType<T>, raw: string) => schema.safeParse(raw);

  it("port accepts 1..65535 only", () => {
    expect(parse(port(), "8080").data).toBe(8080);
    expect(parse(port(), " 1 ").data).toBe(1);
    for (const bad of ["0", "65536", "1.5", "80a", "-1", ""]) expect(parse(port(), bad).success).toBe(false);
  });

  it("durationMs understands units", () => {
    expect(parse(durationMs(), "250").data).toBe(250);
    expect(parse(durationMs(), "250ms").data).toBe(250);
    expect(parse(durationMs(), "30s").data).toBe(30_000);
    expect(parse(durationMs(), "15m").data).toBe(900_000);
    expect(parse(durationMs(), "4h").data).toBe(14_400_000);
    expect(parse(durationMs(), "1d").data).toBe(86_400_000);
    expect(parse(durationMs(), "1.5s").data).toBe(1500);
    expect(parse(durationMs(), "soon").success).toBe(false);
  });

  it("boolean, logLevel, postgresUrl, commaList", () => {
    expect(parse(boolean(), "YES").data).toBe(true);
    expect(parse(boolean(), "0").data).toBe(false);
    expect(parse(boolean(), "maybe").success).toBe(false);
    expect(parse(logLevel(), "DEBUG").data).toBe("debug");
    expect(parse(postgresUrl(), "postgresql://h/db").success).toBe(true);
    expect(parse(postgresUrl(), "http://h/db").success).toBe(false);
    expect(parse(commaList(), "a:1, b:2,").data).toEqual(["a:1", "b:2"]);
  });
});
