// In-stock correctness on the OpenSearch engine, through the service's own use cases (the ones the
// consumers call) on a real PostgreSQL schema: stock levels of two warehouses change concurrently,
// duplicated and out of order (reservations taking products to 0, releases and expiries bringing them
// back) while storefront queries run; once the churn settles, every product's in-stock flag and the
// in-stock filter agree with the latest level of each warehouse.
import { afterEach, describe, expect, it } from "vitest";
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import { createSearchFixture, levelOf, productOf, type SearchFixture } from "./support/search-fixture.ts";
import { createTestOpenSearchIndex, type TestOpenSearchIndex } from "./support/test-opensearch.ts";

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const WAREHOUSES = ["W1", "W2"];
const LEVELS = 6;

describe("OpenSearch engine under stock churn", () => {
  let os: TestOpenSearchIndex | undefined;
  let f: SearchFixture | undefined;
  afterEach(async () => {
    await f?.cleanup();
    await os?.drop();
    f = undefined;
    os = undefined;
  });

  it("after racing, duplicated and reordered level changes, in-stock flags equal the warehouses' availability", async () => {
    const index = createTestOpenSearchIndex();
    os = index;
    const fixture = await createSearchFixture({
      engine: async () => {
        const engine: SearchEngine = index.engine();
        await engine.ensureReady();
        return engine;
      },
    });
    f = fixture;
    const skus = Array.from({ length: 18 }, (_, i) => `CHURN-${String(i).padStart(2, "0")}`);
    for (const sku of skus) await fixture.applyProduct(productOf(sku, { name: `Lantern ${sku}` }));

    // Per sku and warehouse, LEVELS successive levels, about a third of them 0 (fully reserved or
    // committed); every third sku ends at 0 in both warehouses.
    const availableAt = (s: number, w: number, v: number) =>
      v === LEVELS - 1 && s % 3 === 0 ? 0 : (s + w + v) % 3 === 0 ? 0 : ((s * 7 + v) % 5) + 1;
    const events = skus.flatMap((sku, s) =>
      WAREHOUSES.flatMap((warehouse, w) =>
        Array.from({ length: LEVELS }, (_, v) => levelOf(sku, warehouse, availableAt(s, w, v), v + 1)),
      ),
    );
    const latest = new Map<string, number>();
    for (const e of events) {
      const key = `${e.sku}/${e.warehouseCode}`;
      if (e.levelVersion === LEVELS) latest.set(key, e.available);
    }
    const expectedInStock = skus.filter((sku) =>
      WAREHOUSES.some((w) => (latest.get(`${sku}/${w}`) ?? 0) > 0),
    );
    // Some products end fully reserved everywhere: the filter must drop them.
    expect(expectedInStock.length).toBeLessThan(skus.length);
    expect(expectedInStock.length).toBeGreaterThan(0);

    // Every event twice, in random order, eight at a time, with queries in between.
    const deliveries = shuffled([...events, ...events]);
    let settled = false;
    const storefront = (async () => {
      let queries = 0;
      while (!settled) {
        await fixture.useCases.search.searchProducts({
          text: "lantern",
          filters: { brands: [], inStockOnly: true, attributes: [] },
          sort: "relevance",
          pageSize: 50,
          facets: ["in_stock"],
          pageToken: "",
        });
        queries++;
      }
      return queries;
    })();
    for (let i = 0; i < deliveries.length; i += 8) {
      await Promise.all(deliveries.slice(i, i + 8).map((level) => fixture.applyLevel(level)));
    }
    settled = true;
    expect(await storefront).toBeGreaterThan(0);

    const stored = await fixture.engine.getDocuments(skus);
    expect(stored.filter((d) => d.inStock).map((d) => d.product.sku)).toEqual(expectedInStock);
    for (const d of stored) {
      const sum = WAREHOUSES.reduce((total, w) => total + (latest.get(`${d.product.sku}/${w}`) ?? 0), 0);
      expect(d.stock.available, d.product.sku).toBe(sum);
    }
    const answer = await fixture.useCases.search.searchProducts({
      text: "lantern",
      filters: { brands: [], inStockOnly: true, attributes: [] },
      sort: "relevance",
      pageSize: 50,
      facets: ["in_stock"],
      pageToken: "",
    });
    expect(answer.hits.map((h) => h.sku).sort()).toEqual(expectedInStock);
    expect(answer.hits.every((h) => h.inStock)).toBe(true);
    expect(answer.facets?.outOfStock).toBe(0);
  });
});
