// Contract tests of SearchService and SearchAdminService over both transports: an in-process server on
// a migrated schema with the PostgreSQL engine, called with the generated clients and real tokens. Bad
// input is INVALID_ARGUMENT naming the field; roles are enforced; answers carry hits, highlights, facets,
// page tokens, corrections.
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
import { SearchAdminService } from "@stockroom/proto/stockroom/search/v1/search_admin_service_pb.js";
import { Facet, SearchService, SortOrder } from "@stockroom/proto/stockroom/search/v1/search_service_pb.js";
import { CONTRACT_TRANSPORTS, type ContractEndpoint, startContractEndpoint } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSearchHandler, SEARCH_POLICY } from "../src/transport/grpc/search.handler.ts";
import { createSearchAdminHandler, SEARCH_ADMIN_POLICY } from "../src/transport/grpc/search-admin.handler.ts";
import { createSearchFixture, levelOf, productOf, type SearchFixture } from "./support/search-fixture.ts";

const SECRET = "contract-test-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  let f: SearchFixture;
  let server: GrpcServer;
  let endpoint: ContractEndpoint;
  let search: TypedClient<typeof SearchService>;
  let admin: TypedClient<typeof SearchAdminService>;
  const tokens = new Map<Role, string>();
  const as = (role: Role) => ({ metadata: { authorization: `Bearer ${tokens.get(role)}` } });

  beforeAll(async () => {
    f = await createSearchFixture();
    server = createGrpcServer({
      logger: createLogger({ service: "search-contract", level: "silent" }),
      registry: createMetricsRegistry({ service: "search-contract", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(SearchService, createSearchHandler(f.useCases.search), SEARCH_POLICY);
    server.register(SearchAdminService, createSearchAdminHandler(f.useCases.admin), SEARCH_ADMIN_POLICY);
    endpoint = await startContractEndpoint(server, transport);
    search = endpoint.client(SearchService);
    admin = endpoint.client(SearchAdminService);
    const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
    for (const role of ["storefront", "ops", "admin", "service"] as const) {
      tokens.set(role, await issuer.issue({ subject: `test-${role}`, roles: [role] }));
    }
    await f.applyProduct(
      productOf("RUN-1", {
        name: "Trail Running Shoes",
        brand: "Stride",
        categoryPath: "apparel/shoes",
        price: { amountMinor: 8_000, currency: "EUR" },
      }),
    );
    await f.applyProduct(
      productOf("RUN-2", { name: "Road Running Shoes", brand: "Pace", categoryPath: "apparel/shoes" }),
    );
    await f.applyProduct(
      productOf("MUG-1", { name: "Coffee Mug", brand: "Kiln", categoryPath: "home/kitchen" }),
    );
    await f.applyLevel(levelOf("RUN-1", "W1", 3, 1));
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
    return { code: err.code, field: err.errorDetail?.field, message: err.message };
  }

  it("searches with highlights, facets, in-stock flags and page tokens", async () => {
    const first = await search.search(
      {
        query: "running shoes",
        pageSize: 1,
        facets: [Facet.BRAND, Facet.IN_STOCK, Facet.CATEGORY, Facet.PRICE],
      },
      as("storefront"),
    );
    expect(first.totalHits).toBe(2n);
    expect(first.hits).toHaveLength(1);
    expect(first.hits[0]?.highlights[0]?.fragments[0]).toContain("<em>");
    expect(first.facets?.inStock).toBe(1n);
    expect(first.facets?.outOfStock).toBe(1n);
    expect(first.facets?.categories).toEqual([
      expect.objectContaining({ value: "apparel/shoes", count: 2n }),
    ]);
    expect(first.facets?.priceBuckets.map((b) => b.count)).toEqual([1n, 0n, 1n, 0n]);
    expect(first.nextPageToken).not.toBe("");
    const second = await search.search(
      { query: "running shoes", pageSize: 1, pageToken: first.nextPageToken },
      as("storefront"),
    );
    expect(second.hits.map((h) => h.sku)).not.toContain(first.hits[0]?.sku);
    expect(second.nextPageToken).toBe("");
    const inStock = await search.search(
      { query: "shoes", filters: { inStockOnly: true, brands: [], attributes: [], categoryPathPrefix: "" } },
      as("storefront"),
    );
    expect(inStock.hits.map((h) => [h.sku, h.inStock])).toEqual([["RUN-1", true]]);
  });

  it("answers a misspelled query from its correction and says when nothing matches", async () => {
    const corrected = await search.search({ query: "runnnig shoez" }, as("storefront"));
    expect(corrected.correctedQuery).toBe("running shoes");
    expect(corrected.hits.length).toBe(2);
    const none = await search.search({ query: "zzqx" }, as("storefront"));
    expect(none.noMatch).toBe(true);
    expect(none.hits).toEqual([]);
  });

  it("sorts by price and suggests names", async () => {
    const byPrice = await search.search({ query: "", sort: SortOrder.PRICE_DESCENDING }, as("storefront"));
    expect(byPrice.hits[0]?.sku).toBe("RUN-1");
    const { suggestions } = await search.suggest({ prefix: "road r" }, as("storefront"));
    expect(suggestions).toEqual([expect.objectContaining({ text: "Road Running Shoes", sku: "RUN-2" })]);
  });

  it("refuses bad input with INVALID_ARGUMENT naming the field", async () => {
    const cases: [Parameters<typeof search.search>[0], string][] = [
      [{ query: "x".repeat(201) }, "query"],
      [{ query: "a", facets: [99 as Facet] }, "facets[0]"],
      [{ query: "a", facets: [Facet.UNSPECIFIED] }, "facets[0]"],
      [{ query: "a", pageToken: "not-a-token" }, "page_token"],
      [{ query: "a", pageToken: "!!" }, "page_token"],
      [{ query: "a", pageSize: 101 }, "page_size"],
      [{ query: "a", sort: 42 as SortOrder }, "sort"],
      [
        {
          query: "a",
          filters: { categoryPathPrefix: "Bad Path", brands: [], attributes: [], inStockOnly: false },
        },
        "filters.category_path_prefix",
      ],
      [
        { query: "a", filters: { categoryPathPrefix: "", brands: [""], attributes: [], inStockOnly: false } },
        "filters.brands[0]",
      ],
      [
        {
          query: "a",
          filters: {
            categoryPathPrefix: "",
            brands: [],
            attributes: [],
            inStockOnly: false,
            priceMinMinor: -1n,
          },
        },
        "filters.price_min_minor",
      ],
      [
        {
          query: "a",
          filters: {
            categoryPathPrefix: "",
            brands: [],
            attributes: [],
            inStockOnly: false,
            priceMinMinor: 10n,
            priceMaxMinor: 5n,
          },
        },
        "filters.price_min_minor",
      ],
      [
        {
          query: "a",
          filters: {
            categoryPathPrefix: "",
            brands: [],
            inStockOnly: false,
            attributes: [{ name: "bad name!", values: ["x"] }],
          },
        },
        "filters.attributes[0].name",
      ],
      [
        {
          query: "a",
          filters: {
            categoryPathPrefix: "",
            brands: [],
            inStockOnly: false,
            attributes: [{ name: "color", values: [] }],
          },
        },
        "filters.attributes[0].values",
      ],
    ];
    for (const [request, field] of cases) {
      const result = await failure(search.search(request, as("storefront")));
      expect(result, JSON.stringify({ field })).toMatchObject({ code: status.INVALID_ARGUMENT, field });
    }
    // A token from one query is refused for another.
    const page = await search.search({ query: "running shoes", pageSize: 1 }, as("storefront"));
    expect(
      await failure(search.search({ query: "mug", pageToken: page.nextPageToken }, as("storefront"))),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: "page_token",
    });
    expect(await failure(search.suggest({ prefix: "" }, as("storefront")))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: "prefix",
    });
    expect(await failure(search.suggest({ prefix: "ab", limit: 21 }, as("storefront")))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: "limit",
    });
    expect(await failure(admin.rebuildIndex({ idempotencyKey: "" }, as("ops")))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: "idempotency_key",
    });
    expect(await failure(admin.getRebuild({ rebuildId: "nope" }, as("ops")))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: "rebuild_id",
    });
  });

  it("enforces authentication and roles", async () => {
    expect((await failure(search.search({ query: "mug" }))).code).toBe(status.UNAUTHENTICATED);
    expect(
      (await failure(search.search({ query: "mug" }, { metadata: { authorization: "Bearer forged" } }))).code,
    ).toBe(status.UNAUTHENTICATED);
    expect((await search.search({ query: "mug" }, as("service"))).hits).toHaveLength(1);
    expect((await failure(admin.rebuildIndex({ idempotencyKey: "k1" }, as("storefront")))).code).toBe(
      status.PERMISSION_DENIED,
    );
    // Without the catalog and warehouse addresses a rebuild is UNAVAILABLE, not a silent no-op.
    expect((await failure(admin.rebuildIndex({ idempotencyKey: "k1" }, as("ops")))).code).toBe(
      status.UNAVAILABLE,
    );
    expect(
      (await failure(admin.getRebuild({ rebuildId: "00000000-0000-4000-8000-000000000000" }, as("ops"))))
        .code,
    ).toBe(status.NOT_FOUND);
  });
});
