// The rebuild's sources over gRPC: the catalog's ListProducts (active products, pages by sku) and the
// warehouse's BatchGetStock, each call signed with a short-lived service token, behind a circuit breaker
// so a dependency that is down fails a rebuild fast instead of hanging it.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, createDependencyBreaker } from "@stockroom/grpc";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { RebuildSources } from "../../app/ports/rebuild-sources.ts";
import type { ProductFields } from "../../domain/search-document.ts";
import { productFieldsOf } from "../catalog-product-mapping.ts";
import { warehouseLevelOf } from "../kafka/stock-events.consumer.ts";

const MAX_BATCH_SKUS = 100;

export function createRebuildSources(options: {
  catalogAddress: string;
  warehouseAddress: string;
  jwt: { secret: string; issuer: string; audience: string };
  deadlineMs?: number;
}): RebuildSources & { close(): void } {
  const issuer = createTokenIssuer(options.jwt);
  const token = () => issuer.issue({ subject: "service:search", roles: ["service"], ttlSec: 300 });
  const deadline = options.deadlineMs ?? 10_000;
  const catalog = createClient(CatalogService, options.catalogAddress, {
    defaultDeadlineMs: deadline,
    token,
  });
  const warehouse = createClient(WarehouseService, options.warehouseAddress, {
    defaultDeadlineMs: deadline,
    token,
  });
  const catalogBreaker = createDependencyBreaker({ name: "catalog" });
  const warehouseBreaker = createDependencyBreaker({ name: "warehouse" });
  return {
    async listProducts(pageToken, pageSize) {
      const response = await catalogBreaker.fire(() =>
        catalog.listProducts({ status: ProductStatus.ACTIVE, pageSize: Math.min(pageSize, 100), pageToken }),
      );
      const products = response.products
        .map(productFieldsOf)
        .filter((p): p is ProductFields => p !== undefined);
      return { products, nextPageToken: response.nextPageToken };
    },
    async fetchLevels(skus) {
      const levels = [];
      for (let i = 0; i < skus.length; i += MAX_BATCH_SKUS) {
        const batch = skus.slice(i, i + MAX_BATCH_SKUS);
        const response = await warehouseBreaker.fire(() => warehouse.batchGetStock({ skus: batch }));
        levels.push(...response.stocks.flatMap((stock) => stock.levels.map(warehouseLevelOf)));
      }
      return levels;
    },
    close() {
      catalogBreaker.shutdown();
      warehouseBreaker.shutdown();
      catalog.close();
      warehouse.close();
    },
  };
}
