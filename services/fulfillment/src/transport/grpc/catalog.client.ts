// The catalog's CatalogService as the fulfillment's CatalogPort: BatchGetProducts (100 skus a call),
// signed with a short-lived service token. A read: PackFulfillment asks before its transaction.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient } from "@stockroom/grpc";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import type { CatalogPort } from "../../app/catalog.port.ts";

const MAX_SKUS_PER_CALL = 100;

export function createCatalogClient(options: {
  address: string;
  jwt: { secret: string; issuer: string; audience: string };
  deadlineMs?: number;
}): CatalogPort & { close(): void } {
  const issuer = createTokenIssuer(options.jwt);
  const client = createClient(CatalogService, options.address, {
    defaultDeadlineMs: options.deadlineMs ?? 5_000,
    token: () => issuer.issue({ subject: "service:fulfillment", roles: ["service"], ttlSec: 300 }),
  });
  return {
    async unitWeights(skus) {
      const weights = new Map<string, number>();
      const distinct = [...new Set(skus)];
      for (let i = 0; i < distinct.length; i += MAX_SKUS_PER_CALL) {
        const { products } = await client.batchGetProducts({
          skus: distinct.slice(i, i + MAX_SKUS_PER_CALL),
        });
        for (const p of products) if (p.weightGrams !== undefined) weights.set(p.sku, p.weightGrams);
      }
      return weights;
    },
    close: () => client.close(),
  };
}
