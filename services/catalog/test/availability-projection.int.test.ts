// The availability projection fed by warehouse stock events, on real PostgreSQL and Redis: duplicates and
// out-of-order deliveries (within one warehouse and across warehouses) leave it correct; each applied
// event moves the cache past the old view; a thousand concurrent misses cost one database read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
  stockEvent,
} from "./support/catalog-fixture.ts";

let f: CatalogFixture;

beforeAll(async () => {
  f = await createCatalogFixture();
});

afterAll(async () => {
  await f?.cleanup();
});

// Deterministic shuffle (mulberry32), so a failing order can be replayed from its seed.
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function rowsOf(sku: string) {
  const { rows } = await f.schema.pool.query(
    "SELECT warehouse_code, available::int, level_version::int FROM availability_by_warehouse WHERE sku = $1 ORDER BY warehouse_code",
    [sku],
  );
  return rows;
}

describe("availability projection", () => {
  it("ignores duplicates and older versions of one warehouse's level", async () => {
    const v1 = stockEvent({ sku: "P-1", warehouseCode: "W1", version: 1, onHand: 10 });
    const v2 = stockEvent({ sku: "P-1", warehouseCode: "W1", version: 2, onHand: 10, reserved: 3 });
    const v3 = stockEvent({
      sku: "P-1",
      warehouseCode: "W1",
      version: 3,
      onHand: 10,
      reserved: 3,
      committed: 2,
    });
    expect((await f.apply(v3)).outcome).toBe("applied");
    expect((await f.apply(v1)).outcome).toBe("stale");
    expect((await f.apply(v3)).outcome).toBe("stale");
    expect((await f.apply(v2)).outcome).toBe("stale");
    expect(await rowsOf("P-1")).toEqual([{ warehouse_code: "W1", available: 5, level_version: 3 }]);
  });

  it("totals across warehouses are right whatever order each warehouse's events arrive in", async () => {
    // W1 goes 20 → 1 available over 6 versions, W2 0 → 7 over 4, W3 one version: 0 available.
    const w1 = [20, 15, 11, 6, 2, 1].map((available, i) =>
      stockEvent({ sku: "P-2", warehouseCode: "W1", version: i + 1, onHand: 20, reserved: 20 - available }),
    );
    const w2 = [0, 3, 5, 7].map((available, i) =>
      stockEvent({ sku: "P-2", warehouseCode: "W2", version: i + 1, onHand: available }),
    );
    const w3 = [stockEvent({ sku: "P-2", warehouseCode: "W3", version: 1, onHand: 4, committed: 4 })];
    await f.createProduct(productInput("P-2"), CONTEXT);
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      await f.schema.pool.query("DELETE FROM availability_by_warehouse WHERE sku = 'P-2'");
      // Every event twice, in a shuffled order mixing the warehouses.
      for (const event of shuffled([...w1, ...w2, ...w3, ...w1, ...w2, ...w3], seed)) await f.apply(event);
      expect(await rowsOf("P-2"), `seed ${seed}`).toEqual([
        { warehouse_code: "W1", available: 1, level_version: 6 },
        { warehouse_code: "W2", available: 7, level_version: 4 },
        { warehouse_code: "W3", available: 0, level_version: 1 },
      ]);
    }
    const view = await f.getProduct("P-2");
    expect(view.availability.totalAvailable).toBe(8);
    expect(view.availability.warehouses.map((w) => [w.warehouseCode, w.available])).toEqual([
      ["W1", 1],
      ["W2", 7],
      ["W3", 0],
    ]);
  });

  it("an applied event replaces the cached view; a reader's older view cannot be stored after it", async () => {
    await f.createProduct(productInput("P-3"), CONTEXT);
    await f.apply(stockEvent({ sku: "P-3", warehouseCode: "W1", version: 1, onHand: 9 }));
    const before = await f.getProduct("P-3");
    expect(before.availability.totalAvailable).toBe(9);
    expect((await f.getProduct("P-3")).availability.totalAvailable).toBe(9);
    const loadsBefore = f.dbLoads.length;

    await f.apply(stockEvent({ sku: "P-3", warehouseCode: "W1", version: 2, onHand: 9, reserved: 9 }));
    // A reader that loaded `before` ahead of the event tries to store it now: refused.
    expect(await f.cache.set("P-3", before)).toBe(false);
    const after = await f.getProduct("P-3");
    expect(after.availability.totalAvailable).toBe(0);
    expect(f.dbLoads.length).toBe(loadsBefore + 1);
    expect((await f.getProduct("P-3")).availability.totalAvailable).toBe(0);
    expect(f.dbLoads.length).toBe(loadsBefore + 1);
  });

  it("a thousand concurrent misses on one sku read the database once", async () => {
    await f.createProduct(productInput("P-4"), CONTEXT);
    await f.apply(stockEvent({ sku: "P-4", warehouseCode: "W1", version: 1, onHand: 50 }));
    const loadsBefore = f.dbLoads.length;
    const views = await Promise.all(Array.from({ length: 1000 }, () => f.getProduct("P-4")));
    expect(f.dbLoads.length).toBe(loadsBefore + 1);
    expect(new Set(views.map((v) => v.availability.totalAvailable))).toEqual(new Set([50]));
  });

  it("a crafted sku reaches neither Redis nor another product's key", async () => {
    await f.createProduct(productInput("P-5"), CONTEXT);
    await f.getProduct("P-5");
    for (const crafted of ["P-5:x", "catalog:product:v1:P-5", "P-5\r\nSET x y", "*"]) {
      await expect(f.getProduct(crafted)).rejects.toThrow(/non-canonical/);
    }
    const keys = await f.redis.keys("*");
    expect(keys.filter((key) => key.includes("P-5"))).toEqual([
      `${f.testRedis.prefix}catalog:product:v1:P-5`,
    ]);
    expect((await f.getProduct("P-5")).product.sku).toBe("P-5");
  });

  it("ignores other event types on the topic and refuses a malformed level", async () => {
    const other = stockEvent({ sku: "P-6", warehouseCode: "W1", version: 1, onHand: 1 });
    other.payload = undefined;
    expect((await f.apply(other)).outcome).toBe("ignored");
    await expect(
      f.apply(stockEvent({ sku: "bad sku", warehouseCode: "W1", version: 1, onHand: 1 })),
    ).rejects.toThrow(/valid level/);
  });
});
