// The catalog as the order service's CatalogPort: BatchGetProducts through a circuit breaker. Reads for
// the cart view fall back to the last figures seen per sku (bounded memory), marked stale with their
// time (ORD-P0-03); decisions (add to cart, the checkout's price snapshot) never use stale figures.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createTokenIssuer } from "@stockroom/auth";
import { ErrorReason, isAppError, unavailable } from "@stockroom/errors";
import {
  type BreakerState,
  createClient,
  createDependencyBreaker,
  isGrpcCallError,
  status,
} from "@stockroom/grpc";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { type Product, ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import type { CatalogPort, ProductInfo, ProductLookup } from "../../app/catalog.port.ts";
import { money } from "../../domain/money.ts";
import { RECONNECT_OPTIONS, type ServiceClientOptions } from "./warehouse.client.ts";

const MAX_REMEMBERED = 10_000;

const STATUS: Record<number, ProductInfo["status"]> = {
  [ProductStatus.DRAFT]: "draft",
  [ProductStatus.ACTIVE]: "active",
  [ProductStatus.ARCHIVED]: "archived",
};

function productInfo(p: Product, now: Date): ProductInfo {
  const availableByWarehouse: Record<string, number> = {};
  for (const w of p.availability?.warehouses ?? [])
    availableByWarehouse[w.warehouseCode] = Number(w.available);
  return {
    sku: p.sku,
    name: p.name,
    status: STATUS[p.status] ?? "draft",
    price: money(Number(p.price?.amountMinor ?? 0n), p.price?.currency || "XXX"),
    totalAvailable: Number(p.availability?.totalAvailable ?? 0n),
    availableByWarehouse,
    asOf: p.availability?.asOf ? timestampDate(p.availability.asOf) : now,
    stale: false,
  };
}

function isOutage(err: unknown): boolean {
  return (
    (isAppError(err) && err.kind === "unavailable") ||
    (isGrpcCallError(err) && (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED))
  );
}

export function createCatalogClient(
  options: ServiceClientOptions,
): CatalogPort & { close(): void; breakerState(): BreakerState } {
  const issuer = createTokenIssuer(options.jwt);
  const client = createClient(CatalogService, options.address, {
    defaultDeadlineMs: options.deadlineMs ?? 3_000,
    channelOptions: RECONNECT_OPTIONS,
    token: () => issuer.issue({ subject: "service:order", roles: ["service"], ttlSec: 300 }),
  });
  const breaker = createDependencyBreaker({
    name: "catalog",
    ...options.breaker,
    ...(options.onBreakerState ? { onStateChange: options.onBreakerState } : {}),
  });
  const lastSeen = new Map<string, ProductInfo>();
  const remember = (info: ProductInfo) => {
    lastSeen.delete(info.sku);
    lastSeen.set(info.sku, info);
    if (lastSeen.size > MAX_REMEMBERED) {
      const oldest = lastSeen.keys().next().value;
      if (oldest !== undefined) lastSeen.delete(oldest);
    }
  };

  async function fetchProducts(skus: readonly string[]) {
    let response: Awaited<ReturnType<typeof client.batchGetProducts>>;
    try {
      response = await breaker.fire(() => client.batchGetProducts({ skus: [...skus] }));
    } catch (err) {
      if (isOutage(err)) {
        throw unavailable(
          `catalog did not answer: ${(err as Error).message}`,
          ErrorReason.DEPENDENCY_UNAVAILABLE,
          { dependency: "catalog" },
          err,
        );
      }
      throw err;
    }
    const now = new Date();
    const products = response.products.map((p) => productInfo(p, now));
    for (const p of products) remember(p);
    return { products, missing: [...response.missingSkus] };
  }

  return {
    fetchProducts,
    async lookupProducts(skus): Promise<ProductLookup> {
      try {
        return { ...(await fetchProducts(skus)), answered: true };
      } catch (err) {
        if (!isAppError(err) || err.kind !== "unavailable") throw err;
        const products = skus.flatMap((sku) => {
          const seen = lastSeen.get(sku);
          return seen ? [{ ...seen, stale: true }] : [];
        });
        return { products, missing: [], answered: false };
      }
    },
    breakerState: () => breaker.state(),
    close() {
      breaker.shutdown();
      client.close();
    },
  };
}
