// The versioned cache on a real Redis: version guard, single flight, canonical keys, adaptive TTL.
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createTestRedis, type TestRedis } from "@stockroom/testkit";
import type { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CacheKeyError,
  createCacheRedis,
  createKeyspace,
  jitteredTtl,
  ttlForAvailable,
} from "../src/index.ts";
import { luaScript } from "../src/versioned-scripts.ts";
import { countingLoader, ID_PATTERN, type Item, itemCache } from "./support.ts";

let testRedis: TestRedis;
let redis: Redis;

beforeAll(async () => {
  testRedis = await createTestRedis();
  // Not a timeout test: a generous command timeout keeps a loaded machine from turning a slow reply into a
  // fallback load.
  redis = createCacheRedis(testRedis.url, { keyPrefix: testRedis.prefix, commandTimeoutMs: 2_000 });
  await once(redis, "ready");
});

afterAll(async () => {
  redis?.disconnect();
  await testRedis?.cleanup();
});

describe("versioned cache", () => {
  it("never lets an older version replace a newer one, even after an invalidation", async () => {
    const loader = countingLoader([{ id: "V-1", version: 5, available: 3 }]);
    const cache = itemCache(redis, loader);
    expect(await cache.set("V-1", { id: "V-1", version: 5, available: 3 })).toBe(true);
    expect(await cache.set("V-1", { id: "V-1", version: 4, available: 99 })).toBe(false);
    expect(await cache.get("V-1")).toEqual({ id: "V-1", version: 5, available: 3 });
    expect(loader.calls).toEqual([]);

    // The source moved to version 7. A reader that loaded version 5 or 6 before that cannot put it back.
    expect(await cache.invalidate("V-1", 7)).toBe(true);
    expect(await cache.set("V-1", { id: "V-1", version: 6, available: 99 })).toBe(false);
    loader.values.set("V-1", { id: "V-1", version: 7, available: 1 });
    expect(await cache.get("V-1")).toEqual({ id: "V-1", version: 7, available: 1 });
    expect(loader.calls).toEqual([["V-1"]]);
    // Now cached at 7: read from Redis, no second load; an invalidation to 7 again keeps it.
    expect(await cache.invalidate("V-1", 7)).toBe(false);
    expect(await cache.get("V-1")).toEqual({ id: "V-1", version: 7, available: 1 });
    expect(loader.calls).toHaveLength(1);
    cache.close();
  });

  it("serves a thousand concurrent misses of one key with one load", async () => {
    const loader = countingLoader([{ id: "HOT-1", version: 1, available: 10 }]);
    const cache = itemCache(redis, loader);
    const results = await Promise.all(Array.from({ length: 1000 }, () => cache.get("HOT-1")));
    expect(loader.calls).toEqual([["HOT-1"]]);
    expect(new Set(results.map((item) => item?.available))).toEqual(new Set([10]));
    cache.close();
  });

  it("fails every reader of a failed load, and loads again on the next read", async () => {
    const loader = countingLoader([{ id: "F-1", version: 1, available: 2 }]);
    let failNext = true;
    const cache = itemCache(redis, {
      async loadMany(ids) {
        if (failNext) {
          failNext = false;
          throw new Error("database down");
        }
        return loader.loadMany(ids);
      },
    });
    const reads = [cache.get("F-1"), cache.getMany(["F-1", "F-2"]), cache.get("F-1")];
    const outcomes = await Promise.allSettled(reads);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await cache.getMany(["F-1", "F-2"])).toEqual(
      new Map([["F-1", { id: "F-1", version: 1, available: 2 }]]),
    );
    cache.close();
  });

  it("loads the misses of a batch in one call and reads hits from Redis", async () => {
    const loader = countingLoader([
      { id: "B-1", version: 1, available: 1 },
      { id: "B-2", version: 1, available: 2 },
      { id: "B-3", version: 1, available: 3 },
    ]);
    const cache = itemCache(redis, loader);
    await cache.get("B-1");
    const values = await cache.getMany(["B-1", "B-2", "B-3", "B-404", "B-2"]);
    expect([...values.keys()].sort()).toEqual(["B-1", "B-2", "B-3"]);
    expect(loader.calls).toEqual([["B-1"], ["B-2", "B-3", "B-404"]]);
    // Unknown ids are not cached: asked again, they are loaded again.
    await cache.getMany(["B-2", "B-404"]);
    expect(loader.calls.at(-1)).toEqual(["B-404"]);
    cache.close();
  });

  it("reads what the calls of one event-loop turn want in one Redis round trip, and loads their misses in one call", async () => {
    const loader = countingLoader([
      { id: "T-1", version: 1, available: 1 },
      { id: "T-2", version: 1, available: 2 },
      { id: "T-3", version: 1, available: 3 },
    ]);
    // Pipelines made before the load: the read's (the stores after it are pipelined by ioredis too).
    let pipelinesBeforeLoad: number | undefined;
    const cache = itemCache(redis, {
      loadMany(ids) {
        pipelinesBeforeLoad ??= pipelines.mock.calls.length;
        return loader.loadMany(ids);
      },
    });
    await cache.set("T-1", { id: "T-1", version: 1, available: 1 });
    await cache.set("T-2", { id: "T-2", version: 1, available: 2 });
    const pipelines = vi.spyOn(redis, "pipeline");
    const singleReads = vi.spyOn(redis, "hmgetBuffer");
    try {
      const [one, two, three, batch] = await Promise.all([
        cache.get("T-1"),
        cache.get("T-2"),
        cache.get("T-3"),
        cache.getMany(["T-3", "T-404"]),
      ]);
      expect([one?.available, two?.available, three?.available]).toEqual([1, 2, 3]);
      expect([...batch]).toEqual([["T-3", { id: "T-3", version: 1, available: 3 }]]);
      expect(pipelinesBeforeLoad).toBe(1);
      expect(singleReads).not.toHaveBeenCalled();
      expect(loader.calls).toEqual([["T-3", "T-404"]]);
    } finally {
      pipelines.mockRestore();
      singleReads.mockRestore();
      cache.close();
    }
  });

  it("refuses crafted ids before they reach Redis, so no key can be poisoned", async () => {
    const loader = countingLoader([{ id: "SAFE-1", version: 1, available: 1 }]);
    const cache = itemCache(redis, loader);
    await cache.get("SAFE-1");
    const crafted = [
      "SAFE-1:x",
      "test:item:v1:SAFE-1",
      "*",
      "",
      "a b",
      "../SAFE-1",
      "SAFE-1\r\nDEL x",
      "x".repeat(300),
    ];
    for (const id of crafted) {
      await expect(cache.get(id)).rejects.toBeInstanceOf(CacheKeyError);
      await expect(cache.set(id, { id, version: 99, available: 0 })).rejects.toBeInstanceOf(CacheKeyError);
      await expect(cache.invalidate(id, 99)).rejects.toBeInstanceOf(CacheKeyError);
    }
    expect(loader.calls).toEqual([["SAFE-1"]]);
    const [, keys] = await redis.scan("0", "MATCH", `${testRedis.prefix}test:item:v1:*`, "COUNT", 1000);
    expect(keys.map((key) => key.slice(testRedis.prefix.length))).not.toContain("test:item:v1:SAFE-1:x");
    expect(await cache.get("SAFE-1")).toEqual({ id: "SAFE-1", version: 1, available: 1 });
    // A validator that lets ':' through still cannot add a key segment.
    const lax = createKeyspace("test:item:v1", () => true);
    expect(() => lax.keyOf("a:b")).toThrow(CacheKeyError);
    expect(() => createKeyspace("Bad Namespace", (id) => ID_PATTERN.test(id))).toThrow();
    cache.close();
  });

  it("gives low and zero stock shorter TTLs, with jitter", async () => {
    expect(ttlForAvailable(0)).toBeLessThan(ttlForAvailable(5));
    expect(ttlForAvailable(5)).toBeLessThan(ttlForAvailable(500));
    expect(jitteredTtl(1000, 0.1, () => 0)).toBe(900);
    expect(jitteredTtl(1000, 0.1, () => 1)).toBe(1100);
    const loader = countingLoader([
      { id: "T-0", version: 1, available: 0 },
      { id: "T-9", version: 1, available: 9 },
    ]);
    const cache = itemCache(redis, loader);
    await cache.getMany(["T-0", "T-9"]);
    const zeroTtl = await redis.pttl("test:item:v1:T-0");
    const plentyTtl = await redis.pttl("test:item:v1:T-9");
    expect(zeroTtl).toBeGreaterThan(0);
    expect(zeroTtl).toBeLessThanOrEqual(2_200);
    expect(plentyTtl).toBeGreaterThan(2_200);
    cache.close();
  });

  it("sends a script's text only when Redis does not know it (EVALSHA, then EVAL on NOSCRIPT)", async () => {
    // A script no Redis has seen: its own text, so the test needs no SCRIPT FLUSH of a shared server.
    const source = `-- ${randomUUID()}\nreturn redis.call('SET', KEYS[1], ARGV[1])`;
    const sha = createHash("sha1").update(source).digest("hex");
    const run = luaScript(source);
    expect(await redis.script("EXISTS", sha)).toEqual([0]);
    expect(await run(redis, "script-key", "first")).toBe("OK");
    expect(await redis.script("EXISTS", sha)).toEqual([1]);
    expect(await run(redis, "script-key", "second")).toBe("OK");
    expect(await redis.get("script-key")).toBe("second");
  });

  it("decodes an entry another process wrote once, and none this process stored", async () => {
    const loader = countingLoader([{ id: "D-1", version: 1, available: 5 }]);
    let decodes = 0;
    const cache = itemCache(redis, loader, {
      decode: (bytes) => {
        decodes++;
        return JSON.parse(Buffer.from(bytes).toString("utf8")) as Item;
      },
    });
    const otherProcess = itemCache(redis, loader);
    await cache.get("D-1");
    expect(await cache.get("D-1")).toEqual({ id: "D-1", version: 1, available: 5 });
    expect(await cache.set("D-1", { id: "D-1", version: 2, available: 4 })).toBe(true);
    expect(await cache.get("D-1")).toEqual({ id: "D-1", version: 2, available: 4 });
    expect(decodes).toBe(0);
    expect(await otherProcess.set("D-1", { id: "D-1", version: 3, available: 3 })).toBe(true);
    expect(await cache.get("D-1")).toEqual({ id: "D-1", version: 3, available: 3 });
    expect(await cache.get("D-1")).toEqual({ id: "D-1", version: 3, available: 3 });
    expect(decodes).toBe(1);
    cache.close();
    otherProcess.close();
  });

  it("counts hits and misses", async () => {
    const registry = new Registry();
    const loader = countingLoader([{ id: "M-1", version: 1, available: 1 }]);
    const cache = itemCache(redis, loader, { registry });
    await cache.get("M-1");
    await cache.get("M-1");
    const text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="test_item",outcome="miss"} 1');
    expect(text).toContain('cache_requests_total{cache="test_item",outcome="hit"} 1');
    expect(text).toContain('cache_breaker_state{cache="test_item"} 0');
    // Counters of what has not happened yet are there at 0, so the first one shows in increase().
    expect(text).toContain('cache_requests_total{cache="test_item",outcome="fallback"} 0');
    expect(text).toContain('cache_stale_writes_refused_total{cache="test_item"} 0');
    cache.close();
  });
});

describe("local copies (localTtlMs)", () => {
  it("answers a recent read from memory, and drops the copy when this process invalidates or writes", async () => {
    const loader = countingLoader([{ id: "L-1", version: 1, available: 50 }]);
    // A long local TTL, so the test does not depend on timing: only invalidations end the copy.
    const cache = itemCache(redis, loader, { localTtlMs: 60_000 });
    await cache.get("L-1");
    await cache.get("L-1");
    // Redis loses the entry behind the cache's back: the copy still answers, without Redis or the loader.
    await redis.del("test:item:v1:L-1");
    expect(await cache.get("L-1")).toEqual({ id: "L-1", version: 1, available: 50 });
    expect(loader.calls).toEqual([["L-1"]]);

    loader.values.set("L-1", { id: "L-1", version: 2, available: 10 });
    await cache.invalidate("L-1", 2);
    expect(await cache.get("L-1")).toEqual({ id: "L-1", version: 2, available: 10 });
    expect(loader.calls).toHaveLength(2);
    expect(await cache.set("L-1", { id: "L-1", version: 3, available: 9 })).toBe(true);
    expect(await cache.get("L-1")).toEqual({ id: "L-1", version: 3, available: 9 });
    cache.close();
  });

  it("sees another process's invalidation once the local TTL has passed", async () => {
    const loader = countingLoader([{ id: "L-2", version: 1, available: 50 }]);
    const reader = itemCache(redis, loader, { localTtlMs: 200 });
    const writer = itemCache(redis, loader);
    await reader.get("L-2");
    loader.values.set("L-2", { id: "L-2", version: 2, available: 0 });
    await writer.invalidate("L-2", 2);
    await vi.waitFor(async () => expect((await reader.get("L-2"))?.version).toBe(2), {
      timeout: 15_000,
      interval: 50,
    });
    reader.close();
    writer.close();
  });

  it("never keeps a copy past the Redis entry's TTL", async () => {
    // Out of stock: a 2 s TTL in Redis, far below the 60 s local TTL.
    const loader = countingLoader([{ id: "L-3", version: 1, available: 0 }]);
    const cache = itemCache(redis, loader, { localTtlMs: 60_000 });
    await cache.get("L-3");
    expect(loader.calls).toHaveLength(1);
    await vi.waitFor(
      async () => {
        await cache.get("L-3");
        expect(loader.calls.length).toBeGreaterThan(1);
      },
      { timeout: 15_000, interval: 100 },
    );
    cache.close();
  });

  it("counts local answers as their own outcome", async () => {
    const registry = new Registry();
    const loader = countingLoader([{ id: "L-4", version: 1, available: 50 }]);
    const cache = itemCache(redis, loader, { localTtlMs: 60_000, registry });
    await cache.get("L-4");
    await cache.get("L-4");
    const text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="test_item",outcome="miss"} 1');
    expect(text).toContain('cache_requests_total{cache="test_item",outcome="local"} 1');
    cache.close();
  });
});

describe("warming", () => {
  it("reloads the most-read ids and renews their TTL before they expire", async () => {
    const loader = countingLoader([
      { id: "W-HOT", version: 3, available: 50 },
      { id: "W-COLD", version: 1, available: 50 },
    ]);
    const cache = itemCache(redis, loader);
    for (let i = 0; i < 5; i++) await cache.get("W-HOT");
    await cache.get("W-COLD");
    await redis.pexpire("test:item:v1:W-HOT", 500);
    loader.calls.length = 0;
    expect(await cache.warmHottest(1)).toBe(1);
    expect(loader.calls).toEqual([["W-HOT"]]);
    expect(await redis.pttl("test:item:v1:W-HOT")).toBeGreaterThan(10_000);
    // A newer version in the source replaces the cached one on the next warm-up.
    loader.values.set("W-HOT", { id: "W-HOT", version: 4, available: 49 });
    await cache.get("W-HOT");
    expect(await cache.warmHottest(1)).toBe(1);
    expect(await cache.get("W-HOT")).toEqual({ id: "W-HOT", version: 4, available: 49 });
    // Nothing read since the last warm-up: nothing to do.
    await cache.warmHottest(5);
    expect(await cache.warmHottest(5)).toBe(0);
    cache.close();
  });

  it("warms in chunks, hottest first, and fills every chunk's missing entries", async () => {
    const ids = ["W-C1", "W-C2", "W-C3", "W-C4", "W-C5"];
    const loader = countingLoader(ids.map((id) => ({ id, version: 1, available: 5 })));
    const cache = itemCache(redis, loader, { warmChunkSize: 2 });
    // W-C1 read five times, W-C2 four, ... W-C5 once; then their entries are gone from Redis.
    for (const [index, id] of ids.entries()) {
      for (let i = 0; i < ids.length - index; i++) await cache.get(id);
    }
    await redis.del(...ids.map((id) => `test:item:v1:${id}`));
    loader.calls.length = 0;
    expect(await cache.warmHottest(5)).toBe(5);
    expect(loader.calls).toEqual([["W-C1", "W-C2"], ["W-C3", "W-C4"], ["W-C5"]]);
    for (const id of ids) expect(await redis.hget(`test:item:v1:${id}`, "v")).toBe("1");
    cache.close();
  });

  it("leaves an entry that is current and far from expiry as it is, and rewrites a tombstone", async () => {
    const loader = countingLoader([{ id: "W-STEADY", version: 2, available: 50 }]);
    const cache = itemCache(redis, loader);
    await cache.get("W-STEADY");
    const writtenAt = await redis.hget("test:item:v1:W-STEADY", "t");
    loader.calls.length = 0;
    // Read again, so it is among the hottest; its 60 s TTL is far above the 10 s renewal window.
    await cache.get("W-STEADY");
    expect(await cache.warmHottest(1)).toBe(0);
    expect(loader.calls).toEqual([["W-STEADY"]]);
    expect(await redis.hget("test:item:v1:W-STEADY", "t")).toBe(writtenAt);

    // The source moves to version 3 and the invalidation leaves a tombstone (no value): the warm-up fills it.
    await cache.get("W-STEADY");
    loader.values.set("W-STEADY", { id: "W-STEADY", version: 3, available: 49 });
    expect(await cache.invalidate("W-STEADY", 3)).toBe(true);
    expect(await cache.warmHottest(1)).toBe(1);
    loader.calls.length = 0;
    expect(await cache.get("W-STEADY")).toEqual({ id: "W-STEADY", version: 3, available: 49 });
    expect(loader.calls).toEqual([]);
    cache.close();
  });
});
