// A full rebuild during writes, with the real catalog and warehouse serving gRPC in-process (their own
// handlers and use cases over their own schemas): RebuildIndex reads every active product and its stock
// through the search service's gRPC clients while product updates and reservations keep arriving (and
// are applied to the index as the consumers apply them). Queries are served from the old index until
// the swap; afterwards nothing written meanwhile is lost, products the catalog no longer has are gone,
// and the progress counts every product. Ratings (which the catalog and warehouse APIs do not carry)
// survive it: those applied before the rebuild, also for products the live index lacked, and those
// applied while it runs, and the rating sort reflects them.
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { createClient, createGrpcServer, type GrpcServer, startApiServers } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CATALOG_POLICY, createCatalogHandler } from "../../catalog/src/transport/grpc/catalog.handler.ts";
import {
  CATALOG_ADMIN_POLICY,
  createCatalogAdminHandler,
} from "../../catalog/src/transport/grpc/catalog-admin.handler.ts";
import { type CatalogFixture, createCatalogFixture } from "../../catalog/test/support/catalog-fixture.ts";
import { DEFAULT_TTL_POLICY } from "../../warehouse/src/domain/reservation-ttl.ts";
import {
  createWarehouseHandler,
  WAREHOUSE_POLICY,
} from "../../warehouse/src/transport/grpc/warehouse.handler.ts";
import {
  createWarehouseFixture,
  insertWarehouse,
  key,
  receive,
  CONTEXT as WAREHOUSE_CONTEXT,
  type WarehouseFixture,
} from "../../warehouse/test/support/warehouse-fixture.ts";
import type { RebuildSources } from "../src/app/ports/rebuild-sources.ts";
import { productFieldsOf } from "../src/transport/catalog-product-mapping.ts";
import { createRebuildSources } from "../src/transport/grpc/rebuild-sources.client.ts";
import { warehouseLevelOf } from "../src/transport/kafka/stock-events.consumer.ts";
import { queryOf } from "./engine-contract.ts";
import { createSearchFixture, productOf, ratingOf, type SearchFixture } from "./support/search-fixture.ts";

const SECRET = "rebuild-test-secret-0123456789abcdefgh";
const JWT = { secret: SECRET, issuer: "stockroom", audience: "stockroom" };
const suffix = uniqueSuffix().slice(0, 8);
const SKUS = Array.from({ length: 60 }, (_, i) => `RB-${suffix}-${String(i).padStart(3, "0")}`);

let catalog: CatalogFixture;
let warehouse: WarehouseFixture;
let search: SearchFixture;
const servers: { shutdown(graceMs: number): Promise<void> }[] = [];
let sources: RebuildSources & { close(): void };
let pagesRead = 0;
let catalogPort = 0;
let warehousePort = 0;

async function serve(register: (server: GrpcServer) => void): Promise<number> {
  const server = createGrpcServer({
    logger: createLogger({ service: "rebuild-dep", level: "silent" }),
    registry: createMetricsRegistry({ service: "rebuild-dep", collectDefaults: false }),
    verifier: createTokenVerifier(JWT),
  });
  register(server);
  const api = await startApiServers(server, {
    logger: createLogger({ service: "rebuild-dep", level: "silent" }),
    host: "127.0.0.1",
    grpcPort: 0,
    httpPort: 0,
  });
  servers.push(api);
  return api.grpcPort;
}

beforeAll(async () => {
  [catalog, warehouse] = await Promise.all([createCatalogFixture(), createWarehouseFixture({ poolMax: 6 })]);
  catalogPort = await serve((s) => {
    s.register(CatalogService, createCatalogHandler(catalog.useCases.catalog), CATALOG_POLICY);
    s.register(CatalogAdminService, createCatalogAdminHandler(catalog.useCases.admin), CATALOG_ADMIN_POLICY);
  });
  warehousePort = await serve((s) =>
    s.register(
      WarehouseService,
      createWarehouseHandler(warehouse.useCases, DEFAULT_TTL_POLICY),
      WAREHOUSE_POLICY,
    ),
  );
  const real = createRebuildSources({
    catalogAddress: `127.0.0.1:${catalogPort}`,
    warehouseAddress: `127.0.0.1:${warehousePort}`,
    jwt: JWT,
  });
  // The real sources, each page a little slower, so writes land while the rebuild runs.
  sources = {
    async listProducts(token, size) {
      await new Promise((r) => setTimeout(r, 1_500));
      pagesRead++;
      return real.listProducts(token, size);
    },
    fetchLevels: (skus) => real.fetchLevels(skus),
    close: () => real.close(),
  };
  search = await createSearchFixture({ sources, poolMax: 8, rebuildPageSize: 20 });
});

afterAll(async () => {
  sources?.close();
  await Promise.all(servers.map((s) => s.shutdown(0)));
  await search?.cleanup();
  await catalog?.cleanup();
  await warehouse?.drop();
});

describe("RebuildIndex", () => {
  it("rebuilds from the catalog and warehouse while writes go on, losing nothing", async () => {
    const issuer = createTokenIssuer(JWT);
    const token = () => issuer.issue({ subject: "test-ops", roles: ["ops"], ttlSec: 300 });
    const catalogAdmin = createClient(CatalogAdminService, `127.0.0.1:${catalogPort}`, {
      token,
      defaultDeadlineMs: 20_000,
    });
    const warehouseClient = createClient(WarehouseService, `127.0.0.1:${warehousePort}`, {
      token,
      defaultDeadlineMs: 20_000,
    });
    const setupStarted = Date.now();
    await insertWarehouse(warehouse.db, "RW1");
    for (let i = 0; i < SKUS.length; i += 10) {
      await Promise.all(
        SKUS.slice(i, i + 10).map((sku) =>
          catalog.createProduct(
            {
              idempotencyKey: `c-${sku}`,
              sku,
              name: `Rebuilt lantern ${sku}`,
              description: "",
              brand: "Rebuild",
              categoryPath: "home/lighting",
              attributes: {},
              price: { amountMinor: 1_000n, currency: "EUR" },
              status: "active",
            },
            { producer: "catalog", actor: "test", principal: "test" },
          ),
        ),
      );
    }
    await receive(
      warehouse.useCases,
      "RW1",
      SKUS.map((sku, i) => ({ sku, quantity: 1 + (i % 2) })),
    );
    // The live index before: a third of the products (events lost), and one the catalog never had.
    for (const sku of SKUS.filter((_, i) => i % 3 === 0)) {
      await search.applyProduct(productOf(sku, { name: `Rebuilt lantern ${sku}`, brand: "Rebuild" }));
    }
    // Ratings before the rebuild: every fourth sku (most of them missing from the live index).
    const ratingBefore = (i: number) => ratingOf(SKUS[i] ?? "", 1 + (i % 4), 1 + (i % 3), 1);
    const ratedBefore = SKUS.map((_, i) => i).filter((i) => i % 4 === 0);
    for (const i of ratedBefore) await search.applyRating(ratingBefore(i));
    const ghost = `RB-${suffix}-GHOST`;
    await search.applyProduct(productOf(ghost, { name: "Rebuilt lantern ghost", brand: "Rebuild" }));

    process.stdout.write(`\nsetup took ${Date.now() - setupStarted} ms\n`);
    const run = await search.useCases.admin.rebuildIndex({ idempotencyKey: `rb-${suffix}` });
    expect(run.state).toBe("running");
    // The same key answers with the same run; another key is refused while it runs.
    expect((await search.useCases.admin.rebuildIndex({ idempotencyKey: `rb-${suffix}` })).id).toBe(run.id);
    await expect(
      search.useCases.admin.rebuildIndex({ idempotencyKey: `rb2-${suffix}` }),
    ).rejects.toMatchObject({
      kind: "failed_precondition",
    });

    // Writes during the rebuild, applied the way the consumers apply them.
    const renamed = SKUS.filter((_, i) => i % 7 === 0);
    const reserved = SKUS.filter((_, i) => i % 5 === 0);
    let servedGhostDuringRebuild = false;
    const started = Date.now();
    const writes = (async () => {
      for (const [i, sku] of renamed.entries()) {
        const { product } = await catalogAdmin.updateProduct({
          idempotencyKey: `u-${sku}`,
          sku,
          expectedVersion: 0n,
          name: `Renamed lantern ${sku}`,
        });
        const fields = product && productFieldsOf(product);
        if (fields) await search.applyProduct(fields);
        const level = reserved[i];
        if (level) {
          await warehouse.useCases.reserve(
            {
              idempotencyKey: key("r"),
              reference: { type: "cart", id: key("cart") },
              lines: [{ sku: level, quantity: 1 + (SKUS.indexOf(level) % 2) }],
              allowPartial: false,
              allowSplit: false,
            },
            WAREHOUSE_CONTEXT,
          );
          const { stock } = await warehouseClient.getStock({ sku: level });
          for (const l of stock?.levels ?? []) await search.applyLevel(warehouseLevelOf(l));
        }
        // A rating arriving during the rebuild (a newer version for a sku rated before).
        const rated = SKUS.indexOf(sku);
        await search.applyRating(ratingOf(sku, 4.5, 10 + rated, 2));
        const state = (await search.useCases.admin.getRebuild(run.id)).state;
        if (state === "running") {
          const hits = await search.engine.search(
            queryOf({ text: "ghost", filters: { brands: ["rebuild"] } }),
          );
          if (hits.hits.some((h) => h.sku === ghost)) servedGhostDuringRebuild = true;
        }
      }
    })();
    await writes;
    process.stdout.write(
      `\nwrites during rebuild took ${Date.now() - started} ms; rebuild ${JSON.stringify(await search.useCases.admin.getRebuild(run.id))}\n`,
    );
    catalogAdmin.close();
    warehouseClient.close();
    await vi.waitFor(
      async () => {
        const current = await search.useCases.admin.getRebuild(run.id);
        if (current.state === "failed") throw new Error(`rebuild failed: ${current.error}`);
        expect(current.state).toBe("completed");
      },
      { timeout: 240_000, interval: 200 },
    );
    const done = await search.useCases.admin.getRebuild(run.id);
    expect(done.productsIndexed).toBe(SKUS.length);
    expect(done.pagesDone).toBeGreaterThanOrEqual(Math.ceil(SKUS.length / 20));
    expect(pagesRead).toBe(done.pagesDone);
    expect(servedGhostDuringRebuild).toBe(true);

    const docs = await search.engine.getDocuments([...SKUS, ghost]);
    expect(docs.map((d) => d.product.sku)).toEqual(SKUS);
    const { rows } = await warehouse.schema.pool.query<{ sku: string; available: string }>(
      "SELECT sku, sum(greatest(on_hand - reserved - committed - safety_stock, 0)) AS available FROM stock_levels GROUP BY sku",
    );
    const available = new Map(rows.map((r) => [r.sku, Number(r.available)]));
    for (const doc of docs) {
      const sku = doc.product.sku;
      expect(doc.product.name).toBe(
        renamed.includes(sku) ? `Renamed lantern ${sku}` : `Rebuilt lantern ${sku}`,
      );
      expect([sku, doc.stock.available]).toEqual([sku, available.get(sku) ?? 0]);
    }
    expect(docs.some((d) => !d.inStock)).toBe(true);
    for (const [i, sku] of SKUS.entries()) {
      const doc = docs.find((d) => d.product.sku === sku);
      const before = ratingBefore(i);
      const expected = renamed.includes(sku)
        ? { average: 4.5, count: 10 + i, ratingVersion: 2 }
        : ratedBefore.includes(i)
          ? { average: before.average, count: before.count, ratingVersion: 1 }
          : undefined;
      expect([sku, doc?.rating]).toEqual([sku, expected]);
    }
    const byRating = await search.engine.search(
      queryOf({ text: "", filters: { brands: ["rebuild"] }, sort: "rating", pageSize: 5 }),
    );
    // The renamed skus (rated 4.5 during the rebuild) lead, most reviews first.
    expect(byRating.hits.map((h) => h.sku)).toEqual(
      [...renamed].sort((x, y) => SKUS.indexOf(y) - SKUS.indexOf(x)).slice(0, 5),
    );
    expect((await search.engine.search(queryOf({ text: "ghost" }))).noMatch).toBe(true);
  }, 400_000);
});
