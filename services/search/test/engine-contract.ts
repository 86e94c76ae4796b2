// The behaviour every SearchEngine must show, as a vitest suite that takes an engine factory: the
// PostgreSQL engine runs it in search-engine-postgres.int.test.ts, the OpenSearch engine in its own
// test file. Each test gets a fresh, empty index.
import { describe, expect, it } from "vitest";
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import type { SearchQuery, SearchResult } from "../src/domain/search-document.ts";
import { InvalidSortKeyError } from "../src/domain/search-errors.ts";
import { documentOf } from "./support/documents.ts";

export interface EngineUnderTest {
  engine: SearchEngine;
  // Makes every write so far visible to searches (OpenSearch's refresh); a no-op where writes are.
  settle?: () => Promise<void>;
  cleanup(): Promise<void>;
}

export type EngineFactory = () => Promise<EngineUnderTest>;

export function queryOf(
  overrides: Partial<Omit<SearchQuery, "filters">> & { filters?: Partial<SearchQuery["filters"]> } = {},
): SearchQuery {
  const { filters, ...rest } = overrides;
  return {
    text: "",
    sort: overrides.text ? "relevance" : "newest",
    pageSize: 20,
    facets: [],
    priceBucketBounds: [2_500, 5_000, 10_000],
    ...rest,
    filters: { brands: [], inStockOnly: false, attributes: [], ...filters },
  };
}

const skus = (result: SearchResult) => result.hits.map((h) => h.sku);

export function describeEngineContract(name: string, factory: EngineFactory): void {
  describe(`SearchEngine contract: ${name}`, () => {
    async function withEngine(test: (e: EngineUnderTest) => Promise<void>): Promise<void> {
      const e = await factory();
      try {
        await e.engine.ensureReady();
        await test(e);
      } finally {
        await e.cleanup();
      }
    }
    const settle = (e: EngineUnderTest) => e.settle?.() ?? Promise.resolve();

    it("stores documents and reads them back by sku", () =>
      withEngine(async (e) => {
        const doc = documentOf("SKU-1", {
          name: "Trail Running Shoes",
          attributes: { color: ["red"], size: ["42", "43"] },
          available: 3,
          rating: { average: 4.5, count: 2, ratingVersion: 1 },
        });
        expect(await e.engine.upsertDocuments([doc])).toEqual(["applied"]);
        const [stored] = await e.engine.getDocuments(["SKU-1", "NOPE"]);
        expect(stored?.product).toEqual(doc.product);
        expect(stored?.stock).toEqual(doc.stock);
        expect(stored?.rating).toEqual(doc.rating);
        expect(stored?.inStock).toBe(true);
        expect(await e.engine.getDocuments(["NOPE"])).toEqual([]);
      }));

    it("replaces the product part only with a newer product version", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("SKU-1", { name: "Version two", productVersion: 2 })]);
        expect(
          await e.engine.upsertDocuments([documentOf("SKU-1", { name: "Version one", productVersion: 1 })]),
        ).toEqual(["stale"]);
        expect(
          await e.engine.upsertDocuments([
            documentOf("SKU-1", { name: "Version two again", productVersion: 2 }),
          ]),
        ).toEqual(["stale"]);
        expect((await e.engine.getDocuments(["SKU-1"]))[0]?.product.name).toBe("Version two");
        expect(
          await e.engine.upsertDocuments([documentOf("SKU-1", { name: "Version three", productVersion: 3 })]),
        ).toEqual(["applied"]);
        expect((await e.engine.getDocuments(["SKU-1"]))[0]?.product.name).toBe("Version three");
      }));

    it("guards each part separately: a newer product with an older stock keeps the newer stock", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("SKU-1", { productVersion: 1, available: 0, stockVersion: 5 }),
        ]);
        await e.engine.upsertDocuments([
          documentOf("SKU-1", { name: "Renamed", productVersion: 2, available: 9, stockVersion: 4 }),
        ]);
        const [stored] = await e.engine.getDocuments(["SKU-1"]);
        expect(stored?.product.name).toBe("Renamed");
        expect(stored?.stock).toEqual({ available: 0, stockVersion: 5 });
        expect(stored?.inStock).toBe(false);
      }));

    it("applies stock updates only when newer, and reports a missing document", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("SKU-1", { available: 5, stockVersion: 3 })]);
        expect(await e.engine.updateStock([{ sku: "SKU-1", available: 0, stockVersion: 4 }])).toEqual([
          "applied",
        ]);
        expect(await e.engine.updateStock([{ sku: "SKU-1", available: 7, stockVersion: 4 }])).toEqual([
          "stale",
        ]);
        expect(await e.engine.updateStock([{ sku: "SKU-1", available: 7, stockVersion: 2 }])).toEqual([
          "stale",
        ]);
        expect(await e.engine.updateStock([{ sku: "GHOST", available: 7, stockVersion: 9 }])).toEqual([
          "missing",
        ]);
        expect(await e.engine.getDocuments(["GHOST"])).toEqual([]);
        const [stored] = await e.engine.getDocuments(["SKU-1"]);
        expect(stored?.stock).toEqual({ available: 0, stockVersion: 4 });
        expect(stored?.inStock).toBe(false);
      }));

    it("applies the highest version when one batch holds several updates of a sku", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("SKU-1", { available: 1, stockVersion: 1 })]);
        await e.engine.updateStock([
          { sku: "SKU-1", available: 8, stockVersion: 3 },
          { sku: "SKU-1", available: 2, stockVersion: 2 },
        ]);
        expect((await e.engine.getDocuments(["SKU-1"]))[0]?.stock).toEqual({ available: 8, stockVersion: 3 });
      }));

    it("applies price updates only with a newer product version, which the document then carries", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("SKU-1", { priceMinor: 1_000, productVersion: 2 })]);
        const price = { amountMinor: 1_500, currency: "EUR" };
        expect(await e.engine.updatePrice([{ sku: "SKU-1", price, productVersion: 2 }])).toEqual(["stale"]);
        expect(await e.engine.updatePrice([{ sku: "SKU-1", price, productVersion: 3 }])).toEqual(["applied"]);
        expect(await e.engine.updatePrice([{ sku: "GHOST", price, productVersion: 3 }])).toEqual(["missing"]);
        const [stored] = await e.engine.getDocuments(["SKU-1"]);
        expect(stored?.product.price).toEqual(price);
        expect(stored?.product.productVersion).toBe(3);
        // The upsert of version 3 that the price change came with is now stale.
        expect(await e.engine.upsertDocuments([documentOf("SKU-1", { productVersion: 3 })])).toEqual([
          "stale",
        ]);
      }));

    it("applies rating updates only when newer", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("SKU-1")]);
        expect(
          await e.engine.updateRating([{ sku: "SKU-1", average: 4, count: 3, ratingVersion: 2 }]),
        ).toEqual(["applied"]);
        expect(
          await e.engine.updateRating([{ sku: "SKU-1", average: 1, count: 1, ratingVersion: 1 }]),
        ).toEqual(["stale"]);
        expect((await e.engine.getDocuments(["SKU-1"]))[0]?.rating).toEqual({
          average: 4,
          count: 3,
          ratingVersion: 2,
        });
      }));

    it("finds by exact words, word prefixes and stems, best match first, with highlights", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("SHOE-1", {
            name: "Trail Running Shoes",
            brand: "Stride",
            description: "Grippy soles & more",
          }),
          documentOf("SOCK-1", {
            name: "Wool Socks",
            brand: "Stride",
            description: "Warm socks for running shoes",
          }),
          documentOf("MUG-1", { name: "Coffee Mug", brand: "Kiln" }),
        ]);
        await settle(e);
        const exact = await e.engine.search(queryOf({ text: "running shoes" }));
        expect(skus(exact)[0]).toBe("SHOE-1");
        expect(skus(exact)).toContain("SOCK-1");
        expect(skus(exact)).not.toContain("MUG-1");
        expect(exact.totalHits).toBe(2);
        expect(exact.noMatch).toBe(false);
        const nameHighlight = exact.hits[0]?.highlights.find((h) => h.field === "name");
        expect(nameHighlight?.fragments.join(" ")).toMatch(/<em>Running<\/em>/);
        expect(skus(await e.engine.search(queryOf({ text: "runn" })))).toContain("SHOE-1");
        expect(skus(await e.engine.search(queryOf({ text: "shoe" })))[0]).toBe("SHOE-1");
        expect(skus(await e.engine.search(queryOf({ text: "kiln" })))).toEqual(["MUG-1"]);
        const escaped = await e.engine.search(queryOf({ text: "grippy" }));
        const description = escaped.hits[0]?.highlights.find((h) => h.field === "description");
        expect(description?.fragments.join(" ")).toContain("soles &amp; more");
      }));

    it("tolerates typos: a misspelled query is answered from its correction, and says so", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("SHOE-1", { name: "Trail Running Shoes", brand: "Stride" }),
          documentOf("MUG-1", { name: "Coffee Mug", brand: "Kiln" }),
        ]);
        await settle(e);
        const result = await e.engine.search(queryOf({ text: "runnnig shoez" }));
        expect(skus(result)).toEqual(["SHOE-1"]);
        expect(result.noMatch).toBe(false);
        expect(result.correctedQuery).toBe("running shoes");
      }));

    it("says when nothing matches", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("MUG-1", { name: "Coffee Mug" })]);
        await settle(e);
        const result = await e.engine.search(queryOf({ text: "xylophone quasar" }));
        expect(result.hits).toEqual([]);
        expect(result.totalHits).toBe(0);
        expect(result.noMatch).toBe(true);
      }));

    it("returns active products only", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("A-1", { name: "Lamp active", status: "active" }),
          documentOf("D-1", { name: "Lamp draft", status: "draft" }),
          documentOf("X-1", { name: "Lamp archived", status: "archived" }),
        ]);
        await settle(e);
        expect(skus(await e.engine.search(queryOf({ text: "lamp" })))).toEqual(["A-1"]);
        expect(skus(await e.engine.search(queryOf()))).toEqual(["A-1"]);
        expect((await e.engine.suggest("lamp", 10)).map((s) => s.sku)).toEqual(["A-1"]);
        await e.engine.upsertDocuments([
          documentOf("A-1", { name: "Lamp active", status: "archived", productVersion: 2 }),
        ]);
        await settle(e);
        expect(await e.engine.search(queryOf({ text: "lamp" }))).toMatchObject({ hits: [], noMatch: true });
      }));

    it("filters by category path prefix on whole segments, brands, price range, stock and attributes", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("S-1", {
            categoryPath: "apparel/shoes",
            brand: "Stride",
            priceMinor: 4_000,
            available: 2,
            attributes: { color: ["red"] },
          }),
          documentOf("S-2", {
            categoryPath: "apparel/shoes/running",
            brand: "stride",
            priceMinor: 9_000,
            available: 0,
            attributes: { color: ["blue"] },
          }),
          documentOf("S-3", {
            categoryPath: "apparel",
            brand: "Other",
            priceMinor: 2_500,
            available: 1,
            attributes: { color: ["red", "blue"] },
          }),
          documentOf("S-4", { categoryPath: "apparels", brand: "Stride", priceMinor: 100, available: 5 }),
        ]);
        await settle(e);
        const sorted = async (filters: Partial<SearchQuery["filters"]>) =>
          skus(await e.engine.search(queryOf({ filters }))).sort();
        expect(await sorted({ categoryPathPrefix: "apparel" })).toEqual(["S-1", "S-2", "S-3"]);
        expect(await sorted({ categoryPathPrefix: "apparel/shoes" })).toEqual(["S-1", "S-2"]);
        expect(await sorted({ brands: ["STRIDE"] })).toEqual(["S-1", "S-2", "S-4"]);
        expect(await sorted({ priceMinMinor: 2_500, priceMaxMinor: 4_000 })).toEqual(["S-1", "S-3"]);
        expect(await sorted({ inStockOnly: true })).toEqual(["S-1", "S-3", "S-4"]);
        expect(await sorted({ attributes: [{ name: "color", values: ["red"] }] })).toEqual(["S-1", "S-3"]);
        expect(
          await sorted({
            attributes: [{ name: "color", values: ["blue"] }],
            inStockOnly: true,
            categoryPathPrefix: "apparel",
          }),
        ).toEqual(["S-3"]);
        expect(await sorted({ attributes: [{ name: "size", values: ["42"] }] })).toEqual([]);
      }));

    it("counts facets over the filtered matches", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("F-1", {
            name: "Blue lamp",
            categoryPath: "home/lighting",
            brand: "Lumo",
            priceMinor: 1_000,
            available: 1,
          }),
          documentOf("F-2", {
            name: "Red lamp",
            categoryPath: "home/lighting",
            brand: "lumo",
            priceMinor: 3_000,
            available: 0,
          }),
          documentOf("F-3", {
            name: "Desk lamp",
            categoryPath: "office",
            brand: "Deskco",
            priceMinor: 12_000,
            available: 4,
          }),
          documentOf("F-4", {
            name: "Chair",
            categoryPath: "office",
            brand: "Deskco",
            priceMinor: 5_000,
            available: 4,
          }),
        ]);
        await settle(e);
        const result = await e.engine.search(
          queryOf({ text: "lamp", facets: ["category", "brand", "price", "in_stock"] }),
        );
        expect(result.totalHits).toBe(3);
        expect(result.facets?.categories).toEqual([
          { value: "home/lighting", count: 2 },
          { value: "office", count: 1 },
        ]);
        expect(result.facets?.brands.map((b) => [b.value.toLowerCase(), b.count])).toEqual([
          ["lumo", 2],
          ["deskco", 1],
        ]);
        expect(result.facets?.priceBuckets).toEqual([
          { fromMinor: 0, toMinor: 2_500, count: 1 },
          { fromMinor: 2_500, toMinor: 5_000, count: 1 },
          { fromMinor: 5_000, toMinor: 10_000, count: 0 },
          { fromMinor: 10_000, toMinor: undefined, count: 1 },
        ]);
        expect(result.facets?.inStock).toBe(2);
        expect(result.facets?.outOfStock).toBe(1);
        const noFacets = await e.engine.search(queryOf({ text: "lamp" }));
        expect(noFacets.facets).toBeUndefined();
      }));

    it.each(["relevance", "price_asc", "price_desc", "newest", "rating"] as const)(
      "pages through every match exactly once, sorted by %s",
      (sort) =>
        withEngine(async (e) => {
          const docs = Array.from({ length: 23 }, (_, i) =>
            documentOf(`P-${String(i).padStart(2, "0")}`, {
              name: i % 3 === 0 ? "Garden hose long" : "Garden hose",
              description: "garden ".repeat(i % 4),
              priceMinor: 1_000 + (i % 5) * 100,
              rating: { average: (i % 4) + 1, count: (i % 3) + 1, ratingVersion: 1 },
            }),
          );
          await e.engine.upsertDocuments(docs);
          await settle(e);
          const seen: string[] = [];
          const all = [];
          let after: SearchQuery["after"];
          for (let page = 0; page < 10; page++) {
            const result = await e.engine.search(queryOf({ text: "garden", sort, pageSize: 5, after }));
            expect(result.totalHits).toBe(23);
            seen.push(...skus(result));
            all.push(...result.hits);
            after = result.nextAfter;
            if (!after) break;
          }
          expect(seen).toHaveLength(23);
          expect(new Set(seen).size).toBe(23);
          const prices = all.map((h) => h.price.amountMinor);
          if (sort === "price_asc") expect(prices).toEqual([...prices].sort((a, b) => a - b));
          if (sort === "price_desc") expect(prices).toEqual([...prices].sort((a, b) => b - a));
          if (sort === "rating") {
            const ratings = all.map((h) => h.rating);
            expect(ratings).toEqual([...ratings].sort((a, b) => b - a));
          }
          if (sort === "relevance") {
            const scores = all.map((h) => h.score);
            expect(scores).toEqual([...scores].sort((a, b) => b - a));
          }
          if (sort === "newest") expect(seen).toEqual([...seen].sort().reverse());
        }),
    );

    it("refuses a sort key of another sort", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("K-1"), documentOf("K-2")]);
        await settle(e);
        const first = await e.engine.search(queryOf({ sort: "price_asc", pageSize: 1 }));
        expect(first.nextAfter).toBeDefined();
        await expect(
          e.engine.search(queryOf({ sort: "rating", pageSize: 1, after: first.nextAfter })),
        ).rejects.toBeInstanceOf(InvalidSortKeyError);
        await expect(
          e.engine.search(queryOf({ sort: "price_asc", after: ["x", 1, 2, 3] })),
        ).rejects.toBeInstanceOf(InvalidSortKeyError);
      }));

    it("suggests names by prefix, and near names for a misspelled prefix", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("S-1", { name: "Running Shoes", available: 1 }),
          documentOf("S-2", { name: "Running Shorts" }),
          documentOf("S-3", { name: "Rain Jacket" }),
        ]);
        await settle(e);
        const run = await e.engine.suggest("runn", 5);
        expect(run.map((s) => s.sku).sort()).toEqual(["S-1", "S-2"]);
        expect(run[0]).toEqual({ text: "Running Shoes", sku: "S-1" });
        expect((await e.engine.suggest("running sh", 1)).map((s) => s.text)).toHaveLength(1);
        expect((await e.engine.suggest("jack", 5)).map((s) => s.sku)).toEqual(["S-3"]);
        expect((await e.engine.suggest("runnign", 5)).map((s) => s.sku)).toContain("S-1");
      }));

    it("rebuilds into a shadow: queries see the old index until the swap, writes meanwhile reach both", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([
          documentOf("OLD-1", { name: "Old lamp", productVersion: 1 }),
          documentOf("BOTH-1", { name: "Shared lamp", productVersion: 1, available: 0, stockVersion: 1 }),
        ]);
        const shadow = await e.engine.beginRebuild();
        // An event during the rebuild: newer than the snapshot the rebuild will write.
        await e.engine.updateStock([{ sku: "BOTH-1", available: 0, stockVersion: 1 }]);
        await e.engine.upsertDocuments([documentOf("NEW-1", { name: "New lamp", productVersion: 3 })]);
        expect(
          await shadow.upsertDocuments([
            documentOf("BOTH-1", { name: "Shared lamp", productVersion: 1, available: 4, stockVersion: 2 }),
            // Older than what the event wrote into the shadow: refused.
            documentOf("NEW-1", { name: "New lamp from snapshot", productVersion: 2 }),
          ]),
        ).toEqual(["applied", "stale"]);
        await e.engine.updateStock([{ sku: "BOTH-1", available: 6, stockVersion: 3 }]);
        await settle(e);
        // Still the old index: OLD-1 (which the snapshot no longer has) is found.
        expect(skus(await e.engine.search(queryOf({ text: "lamp" }))).sort()).toEqual([
          "BOTH-1",
          "NEW-1",
          "OLD-1",
        ]);
        await shadow.swap();
        await settle(e);
        expect(skus(await e.engine.search(queryOf({ text: "lamp" }))).sort()).toEqual(["BOTH-1", "NEW-1"]);
        const stored = await e.engine.getDocuments(["BOTH-1", "NEW-1"]);
        expect(stored.map((d) => [d.product.sku, d.product.name, d.stock.available])).toEqual([
          ["BOTH-1", "Shared lamp", 6],
          ["NEW-1", "New lamp", 0],
        ]);
        // After the swap, writes reach the new live index only.
        expect(await e.engine.updateStock([{ sku: "BOTH-1", available: 1, stockVersion: 4 }])).toEqual([
          "applied",
        ]);
        expect((await e.engine.health()).ok).toBe(true);
        expect((await e.engine.health()).documents).toBe(2);
      }));

    it("aborting a rebuild leaves the live index as it was", () =>
      withEngine(async (e) => {
        await e.engine.upsertDocuments([documentOf("OLD-1", { name: "Old lamp" })]);
        const shadow = await e.engine.beginRebuild();
        await shadow.upsertDocuments([documentOf("SNAP-1", { name: "Snapshot lamp" })]);
        await shadow.abort();
        await e.engine.upsertDocuments([documentOf("LATE-1", { name: "Late lamp" })]);
        await settle(e);
        expect(skus(await e.engine.search(queryOf({ text: "lamp" }))).sort()).toEqual(["LATE-1", "OLD-1"]);
      }));

    it("a second rebuild replaces an unfinished first one", () =>
      withEngine(async (e) => {
        const first = await e.engine.beginRebuild();
        await first.upsertDocuments([documentOf("FIRST-1", { name: "First lamp" })]);
        const second = await e.engine.beginRebuild();
        await second.upsertDocuments([documentOf("SECOND-1", { name: "Second lamp" })]);
        await expect(first.swap()).rejects.toThrow();
        await second.swap();
        await settle(e);
        expect(skus(await e.engine.search(queryOf({ text: "lamp" })))).toEqual(["SECOND-1"]);
      }));
  });
}
