// The OpenSearch engine's own guarantees beyond the shared contract, on a real node: version guards
// hold when several engine instances race on one document, and a rebuild that runs while events keep
// arriving loses none of them and keeps answering queries from the old index until the swap.
import { afterEach, describe, expect, it } from "vitest";
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import { documentOf } from "./support/documents.ts";
import { createTestOpenSearchIndex, type TestOpenSearchIndex } from "./support/test-opensearch.ts";

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const browse = { text: "", sort: "newest" as const, facets: [], priceBucketBounds: [] };
const noFilters = { brands: [], inStockOnly: false, attributes: [] };

describe("OpenSearch engine writes", () => {
  let os: TestOpenSearchIndex | undefined;
  afterEach(async () => {
    await os?.drop();
    os = undefined;
  });

  it("keeps the newest stock version when many instances race stock updates in any order", async () => {
    const index = createTestOpenSearchIndex();
    os = index;
    const instances: SearchEngine[] = Array.from({ length: 4 }, () => index.engine());
    const [first, second] = instances as [SearchEngine, SearchEngine];
    await first.ensureReady();
    const skus = ["RACE-1", "RACE-2", "RACE-3"];
    await first.upsertDocuments(skus.map((sku) => documentOf(sku, { available: 0, stockVersion: 1 })));
    // Versions 2..41 per sku; available = version, so the survivor shows which write won.
    const updates = shuffled(
      skus.flatMap((sku) =>
        Array.from({ length: 40 }, (_, i) => ({ sku, available: i + 2, stockVersion: i + 2 })),
      ),
    );
    const outcomes = await Promise.all(
      updates.map((update, i) => (instances[i % instances.length] as SearchEngine).updateStock([update])),
    );
    const stored = await first.getDocuments(skus);
    expect(stored.map((d) => [d.product.sku, d.stock])).toEqual(
      skus.map((sku) => [sku, { available: 41, stockVersion: 41 }]),
    );
    // The newest write of each sku was applied whatever order the races settled in; duplicates replayed
    // afterwards all change nothing.
    expect(outcomes.flat().filter((o) => o === "applied").length).toBeGreaterThanOrEqual(skus.length);
    const replay = await second.updateStock(updates);
    expect(replay.every((o) => o === "stale")).toBe(true);
  });

  it("racing product upserts and price updates leave the highest product version", async () => {
    os = createTestOpenSearchIndex();
    const a = os.engine();
    const b = os.engine();
    await a.ensureReady();
    const writes = shuffled(
      Array.from({ length: 30 }, (_, i) => i + 1).map((version) =>
        version % 2 === 0
          ? () =>
              a.upsertDocuments([
                documentOf("P-1", { name: `Lamp v${version}`, productVersion: version, priceMinor: version }),
              ])
          : () =>
              b.updatePrice([
                { sku: "P-1", price: { amountMinor: version, currency: "EUR" }, productVersion: version },
              ]),
      ),
    );
    // Version 30 is an upsert: it creates the document if it comes first, so every later write has a target.
    await a.upsertDocuments([documentOf("P-1", { name: "Lamp v0", productVersion: 0, priceMinor: 0 })]);
    await Promise.all(writes.map((write) => write()));
    const [stored] = await a.getDocuments(["P-1"]);
    expect(stored?.product.productVersion).toBe(30);
    expect(stored?.product.name).toBe("Lamp v30");
    expect(stored?.product.price.amountMinor).toBe(30);
  });

  it("a rebuild during a stream of stock events loses none, and queries see the old index until the swap", async () => {
    os = createTestOpenSearchIndex();
    const writer = os.engine();
    const rebuilder = os.engine();
    await writer.ensureReady();
    const skus = Array.from({ length: 60 }, (_, i) => `R-${String(i).padStart(3, "0")}`);
    await writer.upsertDocuments(
      skus.map((sku) => documentOf(sku, { name: `Lamp ${sku}`, available: 1, stockVersion: 1 })),
    );
    // A live-only product the catalog no longer has: found until the swap, gone after.
    await writer.upsertDocuments([documentOf("GONE-1", { name: "Lamp gone" })]);

    const shadow = await rebuilder.beginRebuild();
    let version = 1;
    const latest = new Map(skus.map((sku) => [sku, { available: 1, stockVersion: 1 }]));
    let writing = true;
    const events = (async () => {
      while (writing || version < 12) {
        version++;
        const batch = shuffled(skus)
          .slice(0, 20)
          .map((sku) => ({ sku, available: version % 3, stockVersion: version }));
        await writer.updateStock(batch);
        for (const u of batch) latest.set(u.sku, { available: u.available, stockVersion: u.stockVersion });
      }
    })();
    const queries = (async () => {
      const totals: number[] = [];
      while (writing) {
        const result = await writer.search({ ...browse, filters: noFilters, pageSize: 1 });
        totals.push(result.totalHits);
      }
      return totals;
    })();
    // The snapshot, read "before" the events: stock version 1 everywhere, filled in small pages.
    for (let i = 0; i < skus.length; i += 10) {
      await shadow.upsertDocuments(
        skus
          .slice(i, i + 10)
          .map((sku) => documentOf(sku, { name: `Lamp ${sku}`, available: 1, stockVersion: 1 })),
      );
    }
    writing = false;
    const [totals] = await Promise.all([queries, events]);
    // Every query during the rebuild was answered from the complete old index.
    expect(totals.length).toBeGreaterThan(0);
    expect(new Set(totals)).toEqual(new Set([skus.length + 1]));
    await shadow.swap();

    const stored = await writer.getDocuments([...skus, "GONE-1"]);
    expect(stored.map((d) => d.product.sku)).toEqual(skus);
    expect(Object.fromEntries(stored.map((d) => [d.product.sku, d.stock]))).toEqual(
      Object.fromEntries(latest),
    );
    const inStock = await writer.search({
      ...browse,
      filters: { ...noFilters, inStockOnly: true },
      pageSize: 100,
    });
    expect(inStock.hits.map((h) => h.sku).sort()).toEqual(
      skus.filter((sku) => (latest.get(sku)?.available ?? 0) > 0),
    );
  });
});
