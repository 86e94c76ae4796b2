// Redis goes away mid-run: product reads keep coming from PostgreSQL (correct, current answers), and
// once Redis is back the cache serves them again. The outage is a real one: a proxy in front of Redis cut.
import { once } from "node:events";
import { createCacheRedis } from "@stockroom/cache";
import { withTransaction } from "@stockroom/db";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createProductCache, type ProductCache } from "../src/app/product-cache.ts";
import { loadProductViewsUseCase } from "../src/app/read-products.ts";
import { applyStockEvent } from "../src/transport/kafka/stock-events.consumer.ts";
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
  stockEvent,
} from "./support/catalog-fixture.ts";
import { createRedisProxy, type RedisProxy } from "./support/redis-proxy.ts";

let f: CatalogFixture;
let proxy: RedisProxy;
let redis: Redis;
let cache: ProductCache;
const loads: string[][] = [];

beforeAll(async () => {
  f = await createCatalogFixture();
  proxy = await createRedisProxy(new URL(f.testRedis.url));
  redis = createCacheRedis(proxy.url(), { keyPrefix: `${f.testRedis.prefix}outage:` });
  await once(redis, "ready");
  const load = loadProductViewsUseCase(f.deps);
  cache = createProductCache({
    redis,
    loadMany: (skus) => {
      loads.push([...skus]);
      return load(skus);
    },
  });
});

afterAll(async () => {
  cache?.close();
  redis?.disconnect();
  await proxy?.cut();
  await f?.cleanup();
});

describe("catalog reads during a Redis outage", () => {
  it("serve current answers from the database while Redis is down and use the cache again after", async () => {
    const outage = f.useCasesWith({ cache });
    const { getProduct } = outage.catalog;
    const apply = (envelope: EventEnvelope) =>
      withTransaction(f.db, (trx) =>
        applyStockEvent(outage.stockEvents.applyStockLevelChanged, trx, envelope),
      );
    await f.createProduct(productInput("OUT-1"), CONTEXT);
    await apply(stockEvent({ sku: "OUT-1", warehouseCode: "W1", version: 1, onHand: 50 }));
    expect((await getProduct("OUT-1")).availability.totalAvailable).toBe(50);
    expect((await getProduct("OUT-1")).availability.totalAvailable).toBe(50);
    expect(loads).toHaveLength(1);

    await proxy.cut();
    // A stock change while Redis is unreachable (its invalidation cannot reach Redis either).
    await apply(stockEvent({ sku: "OUT-1", warehouseCode: "W1", version: 2, onHand: 50, reserved: 45 }));
    for (let i = 0; i < 6; i++) {
      expect((await getProduct("OUT-1")).availability.totalAvailable).toBe(5);
    }
    expect(loads.length).toBe(7);

    await proxy.open();
    // The value cached before the outage (50 available, a 2-minute TTL) is still in Redis: it must not come back.
    await vi.waitFor(
      async () => {
        expect((await getProduct("OUT-1")).availability.totalAvailable).toBe(5);
        expect(cache.breakerState()).toBe("closed");
      },
      { timeout: 15_000, interval: 100 },
    );
    // The cache is used again: a read is answered without loading. Awaited rather than expected of the very
    // next read, because on a loaded machine one Redis call may still exceed the 50 ms command timeout and
    // fall back to the database (which is the designed behaviour).
    await vi.waitFor(
      async () => {
        const loadsBefore = loads.length;
        const view = await getProduct("OUT-1");
        expect(view.availability.totalAvailable).toBe(5);
        expect(loads.length).toBe(loadsBefore);
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});
