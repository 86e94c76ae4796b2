// The OpenSearch engine's pure parts: reading websearch syntax, applying a correction to the words
// only, and the per-part version merge that its guarded writes rely on.
import { describe, expect, it } from "vitest";
import { categoryAncestors, mergeDocument, toSource } from "../src/data/opensearch/document-source.ts";
import { parseQueryText, replaceWords } from "../src/data/opensearch/query-text.ts";
import { documentOf } from "./support/documents.ts";

describe("parseQueryText", () => {
  it("splits words, quoted phrases, exclusions and or", () => {
    expect(parseQueryText(`trail "running shoes" -leather -"hiking boots" red or blue`)).toEqual({
      words: ["trail", "red", "blue"],
      phrases: ["running shoes"],
      excluded: ["leather", "hiking boots"],
      anyWord: true,
    });
    expect(parseQueryText(`"unclosed phrase`)).toMatchObject({ phrases: ["unclosed phrase"], words: [] });
    expect(parseQueryText(`or - ""`)).toEqual({ words: [], phrases: [], excluded: [], anyWord: false });
  });

  it("replaces corrected words only, keeping phrases and exclusions as typed", () => {
    const corrections = new Map([
      ["runnnig", "running"],
      ["shoez", "shoes"],
    ]);
    expect(replaceWords(`Runnnig shoez "shoez box" -shoez`, corrections)).toBe(
      `running shoes "shoez box" -shoez`,
    );
  });
});

describe("categoryAncestors", () => {
  it("lists every whole-segment prefix", () => {
    expect(categoryAncestors("apparel/shoes/running")).toEqual([
      "apparel",
      "apparel/shoes",
      "apparel/shoes/running",
    ]);
    expect(categoryAncestors("")).toEqual([]);
  });
});

describe("mergeDocument", () => {
  it("takes each part from the newer side and is stale when nothing is newer", () => {
    const stored = toSource(
      documentOf("M-1", { name: "Old", productVersion: 2, available: 5, stockVersion: 7 }),
    );
    const merged = mergeDocument(
      stored,
      documentOf("M-1", { name: "New", productVersion: 3, available: 0, stockVersion: 6 }),
    );
    expect(merged).toMatchObject({
      name: "New",
      product_version: 3,
      available: 5,
      in_stock: true,
      stock_version: 7,
    });
    expect(
      mergeDocument(
        stored,
        documentOf("M-1", { name: "Same", productVersion: 2, available: 1, stockVersion: 7 }),
      ),
    ).toBeUndefined();
    const rated = mergeDocument(stored, {
      ...documentOf("M-1", { productVersion: 1 }),
      rating: { average: 4, count: 2, ratingVersion: 1 },
    });
    expect(rated).toMatchObject({ name: "Old", rating_average: 4, rating_count: 2, rating_version: 1 });
  });

  it("never stores negative availability", () => {
    expect(toSource(documentOf("M-2", { available: -3, stockVersion: 1 }))).toMatchObject({
      available: 0,
      in_stock: false,
    });
  });
});
