// Shared setup of the catalog tests: a migrated throwaway schema, a Redis key prefix, the product cache
// over them with a counting loader, the use cases, and a builder of warehouse stock events.
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createCacheRedis } from "@stockroom/cache";
import { createDb, withTransaction } from "@stockroom/db";
import {
  type EventEnvelope,
  EventEnvelopeSchema,
} from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { StockLevelChangedSchema } from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import { createTestRedis, createTestSchema, type TestRedis, type TestSchema } from "@stockroom/testkit";
import type { Redis } from "ioredis";
import { v7 as uuidv7 } from "uuid";
import {
  createArchiveProduct,
  createChangePrice,
  createCreateProduct,
  createUpdateProduct,
} from "../../src/app/admin/product-commands.ts";
import { createApplyStockLevelChanged } from "../../src/app/apply-stock-level-changed.ts";
import { createProductCache } from "../../src/app/product-cache.ts";
import {
  createBatchGetProducts,
  createGetProduct,
  createListProducts,
  createLoadProductViews,
} from "../../src/app/read-products.ts";
import { createUseCaseDeps, type RequestContext } from "../../src/app/use-case-deps.ts";
import type { CatalogDatabase } from "../../src/data/database.ts";
import type { ProductView } from "../../src/domain/product-view.ts";

export const MIGRATIONS = fileURLToPath(new URL("../../../../migrations/catalog", import.meta.url));
export const CONTEXT: RequestContext = { producer: "catalog", actor: "test", principal: "test" };

export async function createCatalogFixture() {
  const schema: TestSchema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 10 });
  const testRedis: TestRedis = await createTestRedis();
  // Not a timeout test: generous timeouts keep a loaded machine from turning a slow reply into a fallback
  // load (the outage tests build their own fail-fast client and cache).
  const redis: Redis = createCacheRedis(testRedis.url, {
    keyPrefix: testRedis.prefix,
    commandTimeoutMs: 2_000,
  });
  await once(redis, "ready");
  const db = createDb<CatalogDatabase>(schema.pool);
  const baseDeps = createUseCaseDeps(db);
  const dbLoads: string[][] = [];
  const loadFromDb = createLoadProductViews(baseDeps);
  const cache = createProductCache({
    redis,
    loadMany: async (skus) => {
      dbLoads.push([...skus]);
      return loadFromDb(skus);
    },
    redisTimeoutMs: 2_000,
  });
  const deps = { ...baseDeps, cache };
  return {
    schema,
    db,
    redis,
    testRedis,
    cache,
    dbLoads,
    deps,
    createProduct: createCreateProduct(deps),
    updateProduct: createUpdateProduct(deps),
    archiveProduct: createArchiveProduct(deps),
    changePrice: createChangePrice(deps),
    getProduct: createGetProduct(cache),
    batchGetProducts: createBatchGetProducts(cache),
    listProducts: createListProducts(deps, cache),
    applyStockLevelChanged: createApplyStockLevelChanged(deps),
    apply(envelope: EventEnvelope) {
      const applyEvent = createApplyStockLevelChanged(deps);
      return withTransaction(db, (trx) => applyEvent(trx, envelope));
    },
    async cleanup() {
      cache.close();
      redis.disconnect();
      await testRedis.cleanup();
      await schema.drop();
    },
  };
}

export type CatalogFixture = Awaited<ReturnType<typeof createCatalogFixture>>;

export function productInput(sku: string, overrides: Record<string, unknown> = {}) {
  return {
    idempotencyKey: `create-${sku}`,
    sku,
    name: `Product ${sku}`,
    description: "",
    brand: "acme",
    categoryPath: "apparel/shoes",
    attributes: { color: "red" },
    price: { amountMinor: 1999n, currency: "EUR" },
    status: "active" as const,
    ...overrides,
  };
}

export function stockEvent(input: {
  sku: string;
  warehouseCode: string;
  version: number;
  onHand: number;
  reserved?: number;
  committed?: number;
  at?: Date;
}): EventEnvelope {
  const reserved = input.reserved ?? 0;
  const committed = input.committed ?? 0;
  const at = input.at ?? new Date();
  return create(EventEnvelopeSchema, {
    eventId: uuidv7(),
    eventType: "StockLevelChanged",
    aggregateType: "stock_level",
    aggregateId: `${input.warehouseCode}/${input.sku}`,
    aggregateVersion: BigInt(input.version),
    occurredAt: timestampFromDate(at),
    producer: "warehouse",
    payload: anyPack(
      StockLevelChangedSchema,
      create(StockLevelChangedSchema, {
        level: {
          warehouseCode: input.warehouseCode,
          sku: input.sku,
          onHand: BigInt(input.onHand),
          reserved: BigInt(reserved),
          committed: BigInt(committed),
          available: BigInt(Math.max(0, input.onHand - reserved - committed)),
          version: BigInt(input.version),
          updatedAt: timestampFromDate(at),
        },
        reason: "test",
      }),
    ),
  });
}

export function totalOf(view: ProductView | undefined): number | undefined {
  return view?.availability.totalAvailable;
}
