// The sandbox's configuration: defaults, the PAYMENT_SANDBOX_ prefix winning over plain names, and a
// missing or short webhook secret or a bad URL refused naming the variable.
import { ConfigError } from "@stockroom/config";
import { describe, expect, it } from "vitest";
import { loadSandboxConfig } from "../src/config.ts";

const BASE = { DATABASE_URL: "postgres://u@h/db", PAYMENT_SANDBOX_WEBHOOK_SECRET: "0123456789abcdef" };

function problem(env: Record<string, string>): string {
  try {
    loadSandboxConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return "accepted";
}

describe("payment sandbox config", () => {
  it("has defaults for everything but the database and the secret", () => {
    const config = loadSandboxConfig(BASE);
    expect(config).toMatchObject({
      HTTP_PORT: 50060,
      DB_SCHEMA: "payment_sandbox",
      HANG_MS: 15_000,
      LATE_WEBHOOK_DELAY_MS: 10_000,
    });
    expect(config.WEBHOOK_URL).toBeUndefined();
  });

  it("reads the prefixed variable before the plain one", () => {
    expect(loadSandboxConfig({ ...BASE, HTTP_PORT: "1", PAYMENT_SANDBOX_HTTP_PORT: "2" }).HTTP_PORT).toBe(2);
    expect(loadSandboxConfig({ ...BASE, PAYMENT_SANDBOX_HANG_MS: "2s" }).HANG_MS).toBe(2000);
  });

  it("refuses a missing or short secret, a bad webhook URL and a bad schema name, naming each", () => {
    expect(problem({ DATABASE_URL: BASE.DATABASE_URL })).toContain("WEBHOOK_SECRET");
    expect(problem({ ...BASE, PAYMENT_SANDBOX_WEBHOOK_SECRET: "short" })).toContain(
      "PAYMENT_SANDBOX_WEBHOOK_SECRET",
    );
    expect(problem({ ...BASE, PAYMENT_SANDBOX_WEBHOOK_URL: "ftp://x" })).toContain(
      "PAYMENT_SANDBOX_WEBHOOK_URL",
    );
    expect(problem({ ...BASE, PAYMENT_SANDBOX_DB_SCHEMA: "Bad-Name" })).toContain(
      "PAYMENT_SANDBOX_DB_SCHEMA",
    );
  });
});
