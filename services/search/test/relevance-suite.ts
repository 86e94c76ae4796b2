// Relevance of an engine on a generated catalog of 10,000 products, as a vitest suite that takes an
// engine factory (engine-contract.ts's): at least 30 labelled queries of five kinds (exact, prefix,
// misspelled, multi-word, facet-narrowed), each with its relevant set defined from how the catalog was
// generated (never from an engine's answer). Reports precision@5 per kind and overall, and fails below
// the floor the caller gives.
import { describe, expect, it } from "vitest";
import type { SearchFilters, SearchQuery } from "../src/domain/search-document.ts";
import { type EngineFactory, queryOf } from "./engine-contract.ts";
import { type GeneratedProduct, generateCatalog } from "./support/generated-catalog.ts";

export const RELEVANCE_CATALOG_SIZE = 10_000;

export type QueryKind = "exact" | "prefix" | "misspelled" | "multi-word" | "facet-narrowed";

export interface LabelledQuery {
  kind: QueryKind;
  text: string;
  filters?: Partial<SearchFilters>;
  relevant: (product: GeneratedProduct) => boolean;
}

const searchable = (p: GeneratedProduct) => p.document.product.status === "active";

// A misspelling a shopper makes, one edit: two middle letters swapped, or a middle letter doubled.
let edits = 0;
function misspell(word: string): string {
  const i = Math.floor(word.length / 2);
  edits++;
  if (word.length < 4 || edits % 2 === 0) return `${word.slice(0, i + 1)}${word[i]}${word.slice(i + 1)}`;
  return `${word.slice(0, i - 1)}${word[i]}${word[i - 1]}${word.slice(i + 1)}`;
}

export function labelledQueries(catalog: readonly GeneratedProduct[]): LabelledQuery[] {
  const queries: LabelledQuery[] = [];
  // Product lines with at least two active variants, spread over the catalog.
  const lines = new Map<string, GeneratedProduct[]>();
  for (const p of catalog.filter(searchable)) lines.set(p.model, [...(lines.get(p.model) ?? []), p]);
  const chosen = [...lines.values()].filter((l) => l.length >= 2);
  const lineAt = (i: number) => chosen[Math.floor((i * chosen.length) / 12)] as GeneratedProduct[];
  const sameLine = (line: GeneratedProduct[]) => (p: GeneratedProduct) =>
    searchable(p) && p.model === line[0]?.model;

  for (let i = 0; i < 8; i++) {
    const line = lineAt(i);
    const first = line[0] as GeneratedProduct;
    queries.push({ kind: "exact", text: `${first.model} ${first.type.words}`, relevant: sameLine(line) });
  }
  for (let i = 8; i < 12; i++) {
    const line = lineAt(i);
    const first = line[0] as GeneratedProduct;
    queries.push({ kind: "exact", text: `${first.brand} ${first.model}`, relevant: sameLine(line) });
  }
  for (let i = 0; i < 6; i++) {
    const line = lineAt(i + 3);
    const first = line[0] as GeneratedProduct;
    const prefix = first.model.slice(0, Math.max(4, first.model.length - 2));
    queries.push({
      kind: "prefix",
      text: `${first.type.words.split(" ")[0]} ${prefix}`,
      relevant: (p) => searchable(p) && p.model.startsWith(prefix) && p.type === first.type,
    });
  }
  for (let i = 0; i < 8; i++) {
    const line = lineAt(i + 1);
    const first = line[0] as GeneratedProduct;
    const typeWords = first.type.words.split(" ");
    const text =
      i % 2 === 0
        ? `${misspell(first.model)} ${typeWords.join(" ")}`
        : `${first.model} ${typeWords.map(misspell).join(" ")}`;
    queries.push({ kind: "misspelled", text, relevant: sameLine(line) });
  }
  queries.push({
    kind: "misspelled",
    text: "runnnig shoez",
    relevant: (p) => searchable(p) && p.type.words === "running shoes",
  });
  const multi: [string, (p: GeneratedProduct) => boolean][] = [
    ["waterproof hiking boots", (p) => p.adjective === "waterproof" && p.type.words === "hiking boots"],
    ["insulated down parka", (p) => p.adjective === "insulated" && p.type.words === "down parka"],
    ["ergonomic gaming mouse", (p) => p.adjective === "ergonomic" && p.type.words === "gaming mouse"],
    ["premium chef knife", (p) => p.adjective === "premium" && p.type.words === "chef knife"],
    ["compact bluetooth speaker", (p) => p.adjective === "compact" && p.type.words === "bluetooth speaker"],
    ["running shoes", (p) => p.type.words === "running shoes"],
  ];
  for (const [text, relevant] of multi)
    queries.push({ kind: "multi-word", text, relevant: (p) => searchable(p) && relevant(p) });
  const facet: [string, Partial<SearchFilters>, (p: GeneratedProduct) => boolean][] = [
    [
      "headphones",
      { brands: ["voltix"], inStockOnly: true },
      (p) => p.type.words === "wireless headphones" && p.brand === "Voltix" && p.document.stock.available > 0,
    ],
    ["jacket", { categoryPathPrefix: "apparel" }, (p) => p.type.words === "rain jacket"],
    [
      "lamp",
      { priceMaxMinor: 8_000 },
      (p) => p.type.words === "desk lamp" && p.document.product.price.amountMinor <= 8_000,
    ],
    [
      "mug",
      { attributes: [{ name: "color", values: ["red"] }] },
      (p) => p.type.words === "coffee mug" && p.color === "red",
    ],
    [
      "tent",
      { inStockOnly: true, brands: ["terra", "granite", "helix"] },
      (p) =>
        p.type.words === "camping tent" &&
        ["Terra", "Granite", "Helix"].includes(p.brand) &&
        p.document.stock.available > 0,
    ],
  ];
  for (const [text, filters, relevant] of facet)
    queries.push({ kind: "facet-narrowed", text, filters, relevant: (p) => searchable(p) && relevant(p) });
  return queries;
}

export interface RelevanceReport {
  overall: number;
  byKind: Record<QueryKind, number>;
  perQuery: { kind: QueryKind; text: string; precision: number; relevant: number }[];
}

export function describeRelevance(
  name: string,
  factory: EngineFactory,
  options: { floor: number; kindFloor: number },
): void {
  describe(`relevance on ${RELEVANCE_CATALOG_SIZE} generated products: ${name}`, () => {
    it(`keeps precision@5 at or above ${options.floor}`, async () => {
      const catalog = generateCatalog(RELEVANCE_CATALOG_SIZE);
      const queries = labelledQueries(catalog);
      expect(queries.length).toBeGreaterThanOrEqual(30);
      const e = await factory();
      try {
        await e.engine.ensureReady();
        for (let i = 0; i < catalog.length; i += 500) {
          await e.engine.upsertDocuments(catalog.slice(i, i + 500).map((p) => p.document));
        }
        await e.settle?.();
        const bySku = new Map(catalog.map((p) => [p.document.product.sku, p]));
        const perQuery: RelevanceReport["perQuery"] = [];
        for (const q of queries) {
          const relevant = catalog.filter(q.relevant).length;
          expect(relevant, `query "${q.text}" has relevant products`).toBeGreaterThan(0);
          const query: SearchQuery = queryOf({
            text: q.text,
            pageSize: 5,
            ...(q.filters && { filters: q.filters }),
          });
          const result = await e.engine.search(query);
          const hits = result.hits.slice(0, 5).filter((h) => {
            const p = bySku.get(h.sku);
            return p !== undefined && q.relevant(p);
          }).length;
          perQuery.push({ kind: q.kind, text: q.text, precision: hits / Math.min(5, relevant), relevant });
        }
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
        const kinds: QueryKind[] = ["exact", "prefix", "misspelled", "multi-word", "facet-narrowed"];
        const byKind = Object.fromEntries(
          kinds.map((k) => [k, mean(perQuery.filter((p) => p.kind === k).map((p) => p.precision))]),
        ) as Record<QueryKind, number>;
        const overall = mean(perQuery.map((p) => p.precision));
        process.stdout.write(
          `\nprecision@5 (${name}): overall ${overall.toFixed(3)}; ${kinds.map((k) => `${k} ${byKind[k].toFixed(3)}`).join(", ")}\n` +
            perQuery
              .filter((p) => p.precision < 1)
              .map((p) => `  ${p.kind} "${p.text}": ${p.precision.toFixed(2)} (${p.relevant} relevant)\n`)
              .join(""),
        );
        expect(overall).toBeGreaterThanOrEqual(options.floor);
        for (const kind of kinds) expect(byKind[kind], kind).toBeGreaterThanOrEqual(options.kindFloor);
      } finally {
        await e.cleanup();
      }
    }, 300_000);
  });
}
