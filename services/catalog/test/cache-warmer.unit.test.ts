// The cache warmer's loop: every interval it warms the hottest ids; a failed warm-up is logged as a
// warning with its message and the next interval warms again; stop() waits for the pass in flight.
import { describe, expect, it } from "vitest";
import { createCacheWarmer } from "../src/workers/cache-warmer.ts";

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

describe("cache warmer", () => {
  it("warms the top ids each interval, logs a failed pass and goes on", async () => {
    const limits: number[] = [];
    const warnings: { obj: object; msg?: string }[] = [];
    const warmer = createCacheWarmer({
      warmHottest: async (limit) => {
        limits.push(limit);
        if (limits.length === 1) throw new Error("redis down");
        return 0;
      },
      limit: 7,
      intervalMs: 10,
      logger: { warn: (obj, msg) => void warnings.push({ obj, ...(msg ? { msg } : {}) }) },
    });
    warmer.start();
    try {
      await waitFor(() => limits.length >= 3);
    } finally {
      await warmer.stop();
    }
    expect(new Set(limits)).toEqual(new Set([7]));
    expect(warnings).toEqual([{ obj: { err: "redis down" }, msg: "cache warm-up failed" }]);
  });

  it("stop() waits for the pass in flight; none runs after it", async () => {
    let passes = 0;
    let release = () => {};
    const warmer = createCacheWarmer({
      warmHottest: async () => {
        passes++;
        await new Promise<void>((r) => {
          release = r;
        });
        return 0;
      },
      limit: 1,
      intervalMs: 1,
      logger: { warn: () => {} },
    });
    warmer.start();
    await waitFor(() => passes === 1);
    let stopped = false;
    const stopping = warmer.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    await new Promise((r) => setTimeout(r, 50));
    expect(passes).toBe(1);
  });
});
