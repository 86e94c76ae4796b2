import { afterEach, describe, expect, it } from "vitest";
import { requireTestEnv } from "../src/index.ts";

describe("requireTestEnv", () => {
  const saved = process.env.TEST_REDIS_URL;
  afterEach(() => {
    process.env.TEST_REDIS_URL = saved;
  });

  it("returns the configured value", () => {
    process.env.TEST_REDIS_URL = "redis://127.0.0.1:6379";
    expect(requireTestEnv("TEST_REDIS_URL")).toBe("redis://127.0.0.1:6379");
  });

  it("says how to start the infrastructure when unset", () => {
    delete process.env.TEST_REDIS_URL;
    expect(() => requireTestEnv("TEST_REDIS_URL")).toThrow(
      "TEST_REDIS_URL is not set: run `npm test` (starts it) or `bash deploy/local/infra-up.sh` then `. deploy/local/env.sh`",
    );
  });
});
