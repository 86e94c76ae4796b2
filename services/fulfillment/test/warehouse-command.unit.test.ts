import { describe, expect, it } from "vitest";
import {
  afterFailedAttempt,
  DEFAULT_RETRY_POLICY,
  warehouseCommandKey,
} from "../src/domain/warehouse-command.ts";

describe("warehouse commands", () => {
  it("keys a movement deterministically by aggregate, movement and qualifier", () => {
    expect(warehouseCommandKey("f-1", "ship")).toBe("f-1:ship");
    expect(warehouseCommandKey("r-1", "restock", 2, "sellable")).toBe("r-1:restock:2:sellable");
    expect(warehouseCommandKey("r-1", "restock", 2, "sellable")).toBe(
      warehouseCommandKey("r-1", "restock", 2, "sellable"),
    );
  });

  it("backs off exponentially with jitter, capped, and fails after the last attempt or a permanent refusal", () => {
    const now = new Date("2026-12-01T00:00:00Z");
    const policy = { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 5 };
    const delay = (attempts: number, draw: number) => {
      const outcome = afterFailedAttempt(attempts, true, now, policy, draw);
      return outcome.status === "pending" ? outcome.nextAttemptAt.getTime() - now.getTime() : -1;
    };
    expect(delay(1, 0.999)).toBeLessThanOrEqual(100);
    expect(delay(3, 0.999)).toBeLessThanOrEqual(400);
    expect(delay(3, 0.999)).toBeGreaterThan(390);
    expect(delay(4, 0.999)).toBeLessThanOrEqual(800);
    expect(delay(1, 0)).toBeGreaterThan(0);
    expect(afterFailedAttempt(5, true, now, policy, 0.5)).toEqual({ status: "failed" });
    expect(afterFailedAttempt(1, false, now, policy, 0.5)).toEqual({ status: "failed" });
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
  });
});
