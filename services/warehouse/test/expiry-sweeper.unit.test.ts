// The expiry sweeper's loop over a scripted expire function: it drains full batches one after another,
// a failed sweep is logged and the next interval sweeps again, and stop() waits for the batch in flight
// and ends the drain there.
import { SYSTEM_PRINCIPAL } from "@stockroom/idempotency";
import { createLogger } from "@stockroom/logging";
import { describe, expect, it } from "vitest";
import { createExpirySweeper } from "../src/workers/expiry-sweeper.ts";

const context = { producer: "warehouse", actor: "system:expiry-sweeper", principal: SYSTEM_PRINCIPAL };

function logLines() {
  const lines: { level: string; msg: string; expired?: number }[] = [];
  const logger = createLogger({
    service: "warehouse",
    level: "info",
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { lines, logger };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

describe("expiry sweeper", () => {
  it("runOnce drains batch after batch until one comes back short, then reports the oldest age", async () => {
    const batches = [3, 3, 1];
    const ages: number[] = [];
    let swept = 0;
    const { logger } = logLines();
    const sweeper = createExpirySweeper({
      expire: async () => batches.shift() ?? 0,
      oldestActiveAgeSeconds: async () => 42,
      onOldestAge: (seconds) => ages.push(seconds),
      onSwept: () => swept++,
      context,
      logger,
      batchSize: 3,
      intervalMs: 3_600_000,
    });
    expect(await sweeper.runOnce()).toBe(7);
    expect(batches).toEqual([]);
    expect(ages).toEqual([42]);
    expect(swept).toBe(1);
  });

  it("logs a failed sweep and sweeps again after the interval, logging what it expired", async () => {
    let calls = 0;
    const { lines, logger } = logLines();
    const sweeper = createExpirySweeper({
      expire: async () => {
        calls++;
        if (calls === 1) throw new Error("database unavailable");
        return calls === 2 ? 2 : 0;
      },
      oldestActiveAgeSeconds: async () => 0,
      context,
      logger,
      batchSize: 10,
      intervalMs: 10,
    });
    sweeper.start();
    try {
      await waitFor(() => calls >= 3);
    } finally {
      await sweeper.stop();
    }
    expect(lines.find((line) => line.level === "error")?.msg).toBe(
      "expiry sweep failed; retrying next interval",
    );
    expect(lines.find((line) => line.level === "info")).toMatchObject({
      msg: "reservations expired",
      expired: 2,
    });
  });

  it("stop() waits for the batch in flight and ends the drain there", async () => {
    let calls = 0;
    let release = () => {};
    const { logger } = logLines();
    const sweeper = createExpirySweeper({
      // Always a full batch: a drain that ignored stop() would never end.
      expire: async () => {
        calls++;
        await new Promise<void>((r) => {
          release = r;
        });
        return 5;
      },
      oldestActiveAgeSeconds: async () => 0,
      context,
      logger,
      batchSize: 5,
      intervalMs: 1,
    });
    sweeper.start();
    await waitFor(() => calls === 1);
    let stopped = false;
    const stopping = sweeper.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(calls).toBe(1);
  });
});
