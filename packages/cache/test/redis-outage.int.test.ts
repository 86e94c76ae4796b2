// Redis unreachable or gone mid-run: reads keep coming from the loader, the breaker opens instead of
// hammering a dead Redis, and once Redis is back the cache is used again. The outage is real: a client
// pointed at a closed port, and a TCP proxy in front of the real Redis that the test shuts and reopens.
import { once } from "node:events";
import net from "node:net";
import { createTestRedis, type TestRedis } from "@stockroom/testkit";
import type { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCacheRedis } from "../src/index.ts";
import { countingLoader, itemCache } from "./support.ts";

let testRedis: TestRedis;

beforeAll(async () => {
  testRedis = await createTestRedis();
});

afterAll(async () => {
  await testRedis?.cleanup();
});

// A proxy to the real Redis that can be cut (every connection destroyed, listener closed) and restored
// on the same port, or hold Redis's replies (a Redis that is slow to answer) and then pass them on in order.
async function redisProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const links = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let holding = false;
  let server: net.Server | undefined;
  let port = 0;
  async function open(): Promise<void> {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      const link = { client, upstream };
      links.add(link);
      client.on("close", () => links.delete(link));
      client.pipe(upstream);
      if (!holding) upstream.pipe(client);
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
  }
  async function cut(): Promise<void> {
    const closed = server ? new Promise((resolve) => server?.close(resolve)) : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    await closed;
  }
  function holdReplies(): void {
    holding = true;
    for (const { client, upstream } of links) upstream.unpipe(client);
  }
  function releaseReplies(): void {
    holding = false;
    for (const { client, upstream } of links) upstream.pipe(client);
  }
  await open();
  return { url: () => `redis://127.0.0.1:${port}`, cut, open, holdReplies, releaseReplies };
}

describe("redis outage", () => {
  it("falls back to the loader when Redis is unreachable, and the breaker opens", async () => {
    const registry = new Registry();
    const errors: string[] = [];
    const redis: Redis = createCacheRedis("redis://127.0.0.1:1");
    const loader = countingLoader([{ id: "DOWN-1", version: 1, available: 4 }]);
    const cache = itemCache(redis, loader, {
      registry,
      breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 },
      onError: (_err, operation) => errors.push(operation),
    });
    for (let i = 0; i < 10; i++) {
      expect(await cache.get("DOWN-1")).toEqual({ id: "DOWN-1", version: 1, available: 4 });
    }
    expect(loader.calls).toHaveLength(10);
    expect(cache.breakerState()).toBe("open");
    // Writes were skipped while reads failed: only read errors were reported.
    expect(new Set(errors)).toEqual(new Set(["read"]));
    const text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="test_item",outcome="fallback"} 10');
    expect(text).toContain('cache_breaker_state{cache="test_item"} 2');
    expect(await cache.set("DOWN-1", { id: "DOWN-1", version: 2, available: 1 })).toBe(false);
    expect(await cache.invalidate("DOWN-1", 3)).toBe(false);
    cache.close();
    redis.disconnect();
  });

  it("answers from the loader when Redis does not answer within the timeout, and uses Redis again after", async () => {
    const proxy = await redisProxy(new URL(testRedis.url));
    const redis = createCacheRedis(proxy.url(), { keyPrefix: testRedis.prefix });
    await once(redis, "ready");
    const loader = countingLoader([{ id: "SLOW-1", version: 1, available: 3 }]);
    const cache = itemCache(redis, loader, { breaker: { timeoutMs: 100, volumeThreshold: 100 } });
    try {
      await cache.get("SLOW-1");
      expect(loader.calls).toHaveLength(1);
      proxy.holdReplies();
      // Redis holds the read's answer: the timeout ends the wait and the loader answers.
      expect(await cache.get("SLOW-1")).toEqual({ id: "SLOW-1", version: 1, available: 3 });
      expect(loader.calls).toHaveLength(2);
      proxy.releaseReplies();
      // The held replies arrive in order (the client's queue stays in step); reads are hits again.
      await vi.waitFor(
        async () => {
          const loadsBefore = loader.calls.length;
          expect(await cache.get("SLOW-1")).toEqual({ id: "SLOW-1", version: 1, available: 3 });
          expect(loader.calls).toHaveLength(loadsBefore);
        },
        { timeout: 15_000, interval: 100 },
      );
    } finally {
      cache.close();
      redis.disconnect();
      await proxy.cut();
    }
  });

  it("opens during a stall after a few timeouts even when earlier hits keep the error rate low", async () => {
    const proxy = await redisProxy(new URL(testRedis.url));
    const redis = createCacheRedis(proxy.url(), { keyPrefix: testRedis.prefix });
    await once(redis, "ready");
    const loader = countingLoader([{ id: "STALL-1", version: 1, available: 5 }]);
    // The production thresholds (error rate 50 %, volume 5, 10 s window); the reset timeout is long so no
    // half-open probe adds a timeout during the stall. The timeout is 400 ms rather than production's 50,
    // so a read the open breaker answers at once is never mistaken for one that waited, however loaded the
    // machine (a 50 ms pause of the event loop under CI load did that).
    const timeoutMs = 400;
    const cache = itemCache(redis, loader, { breaker: { timeoutMs, resetTimeoutMs: 60_000 } });
    try {
      await cache.get("STALL-1");
      for (let i = 0; i < 60; i++) await cache.get("STALL-1");
      expect(loader.calls).toHaveLength(1);
      expect(cache.breakerState()).toBe("closed");

      // Redis stalls (its replies are held, as a paused Redis does): 40 reads, one after another.
      proxy.holdReplies();
      const paidTheTimeout: number[] = [];
      for (let i = 0; i < 40; i++) {
        const started = performance.now();
        expect(await cache.get("STALL-1")).toEqual({ id: "STALL-1", version: 1, available: 5 });
        if (performance.now() - started >= timeoutMs * 0.9) paidTheTimeout.push(i);
      }
      proxy.releaseReplies();
      // Every read fell back; only the first few, before the breaker opened, waited for the timeout
      // (60 hits against 40 failures never reach opossum's 50 % on their own).
      expect(loader.calls).toHaveLength(41);
      expect(paidTheTimeout).toEqual([0, 1, 2]);
      expect(cache.breakerState()).toBe("open");
    } finally {
      cache.close();
      redis.disconnect();
      await proxy.cut();
    }
  });

  it("keeps serving from the loader while Redis is gone and uses the cache again once it is back", async () => {
    const proxy = await redisProxy(new URL(testRedis.url));
    const redis = createCacheRedis(proxy.url(), { keyPrefix: testRedis.prefix });
    await once(redis, "ready");
    const loader = countingLoader([{ id: "FLAP-1", version: 1, available: 7 }]);
    const cache = itemCache(redis, loader, { breaker: { volumeThreshold: 3, resetTimeoutMs: 200 } });
    try {
      await cache.get("FLAP-1");
      await cache.get("FLAP-1");
      expect(loader.calls).toHaveLength(1);

      await proxy.cut();
      for (let i = 0; i < 5; i++) {
        expect(await cache.get("FLAP-1")).toEqual({ id: "FLAP-1", version: 1, available: 7 });
      }
      expect(loader.calls).toHaveLength(6);
      expect(cache.breakerState()).toBe("open");

      await proxy.open();
      // The client reconnects and the breaker lets a probe through after its reset timeout; until then
      // reads still come from the loader.
      await vi.waitFor(
        async () => {
          await cache.get("FLAP-1");
          expect(cache.breakerState()).toBe("closed");
        },
        { timeout: 15_000, interval: 100 },
      );
      // One read may still load (and store) the value; after that every read is a hit.
      // Awaited rather than expected of the next read: on a loaded machine one Redis call may still
      // exceed the cache's timeout and fall back to the loader, by design.
      await vi.waitFor(
        async () => {
          const loadsBefore = loader.calls.length;
          await cache.get("FLAP-1");
          await cache.get("FLAP-1");
          expect(loader.calls).toHaveLength(loadsBefore);
        },
        { timeout: 15_000, interval: 100 },
      );
    } finally {
      cache.close();
      redis.disconnect();
      await proxy.cut();
    }
  });
});
