// Contract tests of CatalogService and CatalogAdminService: an in-process server over a migrated schema
// and a real Redis, called with the generated client and real tokens. Bad input is INVALID_ARGUMENT with
// the field named; roles are enforced; answers carry price and availability with as_of and lag.
import { createTokenIssuer, createTokenVerifier, type Role } from "@stockroom/auth";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { CONTRACT_TRANSPORTS, type ContractEndpoint, startContractEndpoint } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG_POLICY, createCatalogHandler } from "../src/transport/grpc/catalog.handler.ts";
import {
  CATALOG_ADMIN_POLICY,
  createCatalogAdminHandler,
} from "../src/transport/grpc/catalog-admin.handler.ts";
import { type CatalogFixture, createCatalogFixture, stockEvent } from "./support/catalog-fixture.ts";

const SECRET = "contract-test-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

let f: CatalogFixture;
let server: GrpcServer;
let endpoint: ContractEndpoint;
let catalog: TypedClient<typeof CatalogService>;
let admin: TypedClient<typeof CatalogAdminService>;
const tokens = new Map<Role, string>();

function as(role: Role) {
  return { metadata: { authorization: `Bearer ${tokens.get(role)}` } };
}

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    f = await createCatalogFixture({
      fetchStockLevels: async (skus) =>
        skus.map((sku) => ({
          sku,
          warehouseCode: "WR",
          available: 4,
          onHand: 4,
          reserved: 0,
          committed: 0,
          levelVersion: 10,
          updatedAt: new Date(),
        })),
    });
    server = createGrpcServer({
      logger: createLogger({ service: "catalog-contract", level: "silent" }),
      registry: createMetricsRegistry({ service: "catalog-contract", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(CatalogService, createCatalogHandler(f.useCases.catalog), CATALOG_POLICY);
    server.register(CatalogAdminService, createCatalogAdminHandler(f.useCases.admin), CATALOG_ADMIN_POLICY);
    endpoint = await startContractEndpoint(server, transport);
    catalog = endpoint.client(CatalogService);
    admin = endpoint.client(CatalogAdminService);
    const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
    for (const role of ["storefront", "ops", "admin", "service"] as const) {
      tokens.set(role, await issuer.issue({ subject: `test-${role}`, roles: [role] }));
    }
  });

  afterAll(async () => {
    await endpoint?.close();
    await f?.cleanup();
  });

  async function failure(call: Promise<unknown>) {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
    return { code: err.code, field: err.errorDetail?.field };
  }

  function createRequest(sku: string) {
    return {
      idempotencyKey: `k-${sku}`,
      sku,
      name: `Product ${sku}`,
      brand: "acme",
      categoryPath: "apparel/shoes",
      attributes: { color: "blue", sizes: [40, 41] },
      price: { amountMinor: 4999n, currency: "EUR" },
      status: ProductStatus.ACTIVE,
    };
  }

  describe("catalog gRPC contract", () => {
    it("creates a product and reads it back with price and availability", async () => {
      const created = await admin.createProduct(createRequest("C-1"), as("ops"));
      expect(created.product?.version).toBe(1n);
      await f.apply(stockEvent({ sku: "C-1", warehouseCode: "W1", version: 3, onHand: 6, reserved: 1 }));
      await f.apply(stockEvent({ sku: "C-1", warehouseCode: "W2", version: 1, onHand: 2 }));
      const { product } = await catalog.getProduct({ sku: "C-1" }, as("storefront"));
      expect(product?.price).toMatchObject({ amountMinor: 4999n, currency: "EUR" });
      expect(product?.attributes).toEqual({ color: "blue", sizes: [40, 41] });
      expect(product?.availability?.totalAvailable).toBe(7n);
      expect(
        product?.availability?.warehouses.map((w) => [w.warehouseCode, w.available, w.levelVersion]),
      ).toEqual([
        ["W1", 5n, 3n],
        ["W2", 2n, 1n],
      ]);
      expect(product?.availability?.asOf).toBeDefined();
      expect(product?.availability?.projectionLag).toBeDefined();
    });

    it("keeps a product's weight per unit: unset until given, set by create and update, 0 refused", async () => {
      const plain = await admin.createProduct(createRequest("C-W0"), as("ops"));
      expect(plain.product?.weightGrams).toBeUndefined();
      await admin.createProduct({ ...createRequest("C-W1"), weightGrams: 250 }, as("ops"));
      expect((await catalog.getProduct({ sku: "C-W1" }, as("storefront"))).product?.weightGrams).toBe(250);
      const updated = await admin.updateProduct(
        { idempotencyKey: "w-C-W1", sku: "C-W1", weightGrams: 300 },
        as("ops"),
      );
      expect(updated.product?.weightGrams).toBe(300);
      expect(
        (await catalog.batchGetProducts({ skus: ["C-W1"] }, as("service"))).products[0]?.weightGrams,
      ).toBe(300);
      const bad = await failure(admin.createProduct({ ...createRequest("C-W2"), weightGrams: 0 }, as("ops")));
      expect(bad).toEqual({ code: status.INVALID_ARGUMENT, field: "weight_grams" });
    });

    it("answers a product's new price and stock once they change, after answering the old ones", async () => {
      await admin.createProduct(createRequest("C-5"), as("ops"));
      for (let read = 0; read < 3; read++) {
        const { product } = await catalog.getProduct({ sku: "C-5" }, as("storefront"));
        expect(product?.price?.amountMinor).toBe(4999n);
      }
      await admin.changePrice(
        {
          idempotencyKey: "p-C-5",
          sku: "C-5",
          price: { amountMinor: 3999n, currency: "EUR" },
          expectedVersion: 1n,
        },
        as("ops"),
      );
      await f.apply(stockEvent({ sku: "C-5", warehouseCode: "W1", version: 1, onHand: 3 }));
      const { product } = await catalog.getProduct({ sku: "C-5" }, as("storefront"));
      expect(product?.price?.amountMinor).toBe(3999n);
      expect(product?.availability?.totalAvailable).toBe(3n);
    });

    it("batch reads report missing skus and refuse more than 100", async () => {
      await admin.createProduct(createRequest("C-2"), as("admin"));
      const batch = await catalog.batchGetProducts({ skus: ["C-2", "C-404"] }, as("storefront"));
      expect(batch.products.map((p) => p.sku)).toEqual(["C-2"]);
      expect(batch.missingSkus).toEqual(["C-404"]);
      const tooMany = Array.from({ length: 101 }, (_, i) => `S-${i}`);
      expect(await failure(catalog.batchGetProducts({ skus: tooMany }, as("storefront")))).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "skus",
      });
      expect(await failure(catalog.batchGetProducts({ skus: ["C-2", "bad:sku"] }, as("storefront")))).toEqual(
        {
          code: status.INVALID_ARGUMENT,
          field: "skus[1]",
        },
      );
    });

    it("names the offending field and maps domain errors to precise codes", async () => {
      expect(await failure(catalog.getProduct({ sku: "a:b" }, as("storefront")))).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "sku",
      });
      expect((await failure(catalog.getProduct({ sku: "NOPE-1" }, as("storefront")))).code).toBe(
        status.NOT_FOUND,
      );
      const bad = { ...createRequest("C-3"), price: { amountMinor: -1n, currency: "EUR" } };
      expect(await failure(admin.createProduct(bad, as("ops")))).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "price.amount_minor",
      });
      const lower = { ...createRequest("C-3"), price: { amountMinor: 1n, currency: "eur" } };
      expect(await failure(admin.createProduct(lower, as("ops")))).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "price.currency",
      });
      expect(
        await failure(admin.createProduct({ ...createRequest("C-3"), idempotencyKey: "" }, as("ops"))),
      ).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "idempotency_key",
      });
      expect(
        await failure(admin.createProduct({ ...createRequest("C-3"), categoryPath: "Bad Path" }, as("ops"))),
      ).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "category_path",
      });
      await admin.createProduct(createRequest("C-3"), as("ops"));
      expect(
        (await failure(admin.createProduct({ ...createRequest("C-3"), idempotencyKey: "other" }, as("ops"))))
          .code,
      ).toBe(status.ALREADY_EXISTS);
      expect(
        (
          await failure(
            admin.updateProduct(
              { idempotencyKey: "u", sku: "C-3", name: "x", expectedVersion: 9n },
              as("ops"),
            ),
          )
        ).code,
      ).toBe(status.FAILED_PRECONDITION);
      expect(await failure(catalog.listProducts({ pageSize: 500 }, as("storefront")))).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "page_size",
      });
      expect(await failure(catalog.listProducts({ pageToken: "garbage" }, as("storefront")))).toEqual({
        code: status.INVALID_ARGUMENT,
        field: "page_token",
      });
    });

    it("lists every wrong field of a request in its BadRequest details", async () => {
      const bad = {
        ...createRequest("C-4"),
        idempotencyKey: "",
        name: "",
        categoryPath: "Bad Path",
        price: { amountMinor: -1n, currency: "EUR" },
      };
      const err = await admin.createProduct(bad, as("ops")).catch((e: unknown) => e);
      if (!isGrpcCallError(err)) throw new Error("expected a gRPC error");
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        "idempotency_key",
        "name",
        "category_path",
        "price.amount_minor",
      ]);
      const batch = await catalog
        .batchGetProducts({ skus: ["OK-1", "a:b", "c d"] }, as("storefront"))
        .catch((e: unknown) => e);
      if (!isGrpcCallError(batch)) throw new Error("expected a gRPC error");
      expect(batch.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        "skus[1]",
        "skus[2]",
      ]);
    });

    it("enforces roles: storefronts read, only ops and admin write, only admin rebuilds", async () => {
      expect((await failure(admin.createProduct(createRequest("C-4"), as("storefront")))).code).toBe(
        status.PERMISSION_DENIED,
      );
      expect((await failure(catalog.getProduct({ sku: "C-1" }))).code).toBe(status.UNAUTHENTICATED);
      expect(
        (await failure(admin.rebuildAvailability({ idempotencyKey: "rb-ops", skus: [] }, as("ops")))).code,
      ).toBe(status.PERMISSION_DENIED);
    });

    it("lists with filters and page tokens, and rebuilds availability", async () => {
      for (const sku of ["LS-1", "LS-2", "LS-3"]) {
        await admin.createProduct(
          { ...createRequest(sku), brand: "pager", categoryPath: "garden" },
          as("ops"),
        );
      }
      const rebuilt = await admin.rebuildAvailability(
        { idempotencyKey: "rb-ls-2", skus: ["LS-2"] },
        as("admin"),
      );
      expect(rebuilt).toMatchObject({ skusRebuilt: 1n, rowsWritten: 1n, rowsRemoved: 0n });
      const inStock = await catalog.listProducts({ brand: "pager", inStockOnly: true }, as("storefront"));
      expect(inStock.products.map((p) => p.sku)).toEqual(["LS-2"]);
      const page1 = await catalog.listProducts({ brand: "pager", pageSize: 2 }, as("storefront"));
      expect(page1.products.map((p) => p.sku)).toEqual(["LS-1", "LS-2"]);
      const page2 = await catalog.listProducts(
        { brand: "pager", pageSize: 2, pageToken: page1.nextPageToken },
        as("storefront"),
      );
      expect(page2.products.map((p) => p.sku)).toEqual(["LS-3"]);
      expect(page2.nextPageToken).toBe("");
      const archived = await admin.archiveProduct({ idempotencyKey: "arch", sku: "LS-3" }, as("admin"));
      expect(archived.product?.status).toBe(ProductStatus.ARCHIVED);
      const active = await catalog.listProducts({ brand: "pager" }, as("storefront"));
      expect(active.products.map((p) => p.sku)).toEqual(["LS-1", "LS-2"]);
    });

    it("scopes idempotency keys to the caller: two admins sending the same key and body both write", async () => {
      const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
      const otherAdmin = {
        metadata: {
          authorization: `Bearer ${await issuer.issue({ subject: "test-admin-2", roles: ["admin"] })}`,
        },
      };
      await admin.createProduct(createRequest("SCOPE-C"), as("admin"));
      const change = {
        idempotencyKey: "p-SCOPE-C",
        sku: "SCOPE-C",
        price: { amountMinor: 3999n, currency: "EUR" },
      };
      const first = await admin.changePrice(change, as("admin"));
      const second = await admin.changePrice(change, otherAdmin);
      // The second admin's write ran (the version moved again) rather than replaying the first's answer.
      expect(first.product?.version).toBe(2n);
      expect(second.product?.version).toBe(3n);
      expect((await admin.changePrice(change, as("admin"))).product?.version).toBe(2n);
      expect((await admin.changePrice(change, otherAdmin)).product?.version).toBe(3n);
      const { product } = await catalog.getProduct({ sku: "SCOPE-C" }, as("storefront"));
      expect(product?.version).toBe(3n);
      // A different body under its own key is still refused for the caller that used it.
      const reused = await failure(
        admin.changePrice({ ...change, price: { amountMinor: 1n, currency: "EUR" } }, otherAdmin),
      );
      expect(reused.code).toBe(status.FAILED_PRECONDITION);
      expect((await catalog.getProduct({ sku: "SCOPE-C" }, as("storefront"))).product?.version).toBe(3n);
    });
  });
});
