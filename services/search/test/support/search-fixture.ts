// A migrated throwaway schema with the PostgreSQL engine and every use case built by buildUseCases, as
// main.ts builds them; events are applied through the same use cases the consumers call.
import { fileURLToPath } from "node:url";
import { createDb, createPool, type Kysely } from "@stockroom/db";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { buildUseCases, type UseCases } from "../../src/app/build-use-cases.ts";
import type { RebuildSources } from "../../src/app/ports/rebuild-sources.ts";
import type { SearchEngine } from "../../src/app/ports/search-engine.ts";
import { createUseCaseDeps, type UseCaseDeps } from "../../src/app/use-case-deps.ts";
import type { SearchDatabase } from "../../src/data/database.ts";
import { createPostgresSearchEngine } from "../../src/data/postgres/postgres-search-engine.ts";
import type { ProductFields } from "../../src/domain/search-document.ts";
import type { SkuRating } from "../../src/domain/sku-rating.ts";
import type { WarehouseLevel } from "../../src/domain/stock-level.ts";

export const SEARCH_MIGRATIONS = fileURLToPath(new URL("../../../../migrations/search", import.meta.url));

export interface SearchFixture {
  schema: TestSchema;
  db: Kysely<SearchDatabase>;
  engine: SearchEngine;
  deps: UseCaseDeps;
  useCases: UseCases;
  applyProduct(product: ProductFields): Promise<string>;
  applyLevel(level: WarehouseLevel): Promise<string>;
  applyRating(rating: SkuRating): Promise<string>;
  cleanup(): Promise<void>;
}

export const quietLogger = { info() {}, error() {}, warn() {}, debug() {} };

export async function createSearchFixture(
  options: {
    sources?: RebuildSources;
    poolMax?: number;
    rebuildPageSize?: number;
    engine?: (schema: TestSchema) => Promise<SearchEngine>;
  } = {},
): Promise<SearchFixture> {
  const schema = await createTestSchema({ migrations: SEARCH_MIGRATIONS, poolMax: options.poolMax ?? 10 });
  const db = createDb<SearchDatabase>(schema.pool);
  // The engine on a pool of its own, as in main.ts.
  const enginePool = createPool({
    connectionString: schema.connectionString,
    schema: schema.schema,
    max: options.poolMax ?? 10,
    logger: quietLogger,
  });
  const engine: SearchEngine = options.engine
    ? await options.engine(schema)
    : {
        ...createPostgresSearchEngine({ db: createDb(enginePool), retireGraceMs: 0 }),
        close: () => enginePool.end(),
      };
  const deps = createUseCaseDeps(db, engine);
  const useCases = buildUseCases(deps, {
    priceBucketBounds: [2_500, 5_000, 10_000],
    rebuild: { sources: options.sources, pageSize: options.rebuildPageSize ?? 50, logger: quietLogger },
  });
  return {
    schema,
    db,
    engine,
    deps,
    useCases,
    applyProduct: (product) =>
      deps.transaction((trx) => useCases.catalogEvents.applyProductChanged(trx, product)),
    applyLevel: async (level) =>
      (await deps.transaction((trx) => useCases.stockEvents.applyStockLevelChanged(trx, level))).outcome,
    applyRating: async (rating) =>
      (await deps.transaction((trx) => useCases.ratingEvents.applyRatingSummaryChanged(trx, rating))).outcome,
    async cleanup() {
      await useCases.admin.drain();
      await engine.close();
      if (!options.engine) await enginePool.end().catch(() => undefined);
      await schema.drop();
    },
  };
}

let createdAt = Date.parse("2026-02-01T00:00:00.000Z");

export function productOf(sku: string, overrides: Partial<ProductFields> = {}): ProductFields {
  createdAt += 1_000;
  return {
    sku,
    name: `Product ${sku}`,
    description: "",
    brand: "Generic",
    categoryPath: "misc",
    attributes: {},
    status: "active",
    price: { amountMinor: 1_000, currency: "EUR" },
    productVersion: 1,
    createdAt: new Date(createdAt),
    ...overrides,
  };
}

export function ratingOf(sku: string, average: number, count: number, ratingVersion: number): SkuRating {
  return { sku, average, count, ratingVersion, updatedAt: new Date() };
}

export function levelOf(
  sku: string,
  warehouseCode: string,
  available: number,
  levelVersion: number,
): WarehouseLevel {
  return { sku, warehouseCode, available, levelVersion, updatedAt: new Date() };
}
