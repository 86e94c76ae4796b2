// The warehouse's BatchGetStock as RebuildAvailability's FetchStockLevels: a client that signs each call
// with a short-lived service token, bounds it by the caller's remaining deadline (CallOptions.limits),
// and maps the answer's levels to the projection's shape.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient } from "@stockroom/grpc";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { FetchStockLevels } from "../../app/rebuild-availability.ts";
import { stockLevelFromMessage } from "../stock-level-mapping.ts";

export interface WarehouseStockClientOptions {
  address: string;
  jwt: { secret: string; issuer: string; audience: string };
  deadlineMs?: number;
}

export function createWarehouseStockFetcher(options: WarehouseStockClientOptions): {
  fetch: FetchStockLevels;
  close(): void;
} {
  const issuer = createTokenIssuer(options.jwt);
  const client = createClient(WarehouseService, options.address, {
    defaultDeadlineMs: options.deadlineMs ?? 10_000,
    token: () => issuer.issue({ subject: "service:catalog", roles: ["service"], ttlSec: 300 }),
  });
  return {
    async fetch(skus, limits) {
      // At most deadlineMs, and no longer than the caller who asked for it still waits.
      const response = await client.batchGetStock({ skus: [...skus] }, { limits });
      return response.stocks.flatMap((stock) => stock.levels.map(stockLevelFromMessage));
    },
    close: () => client.close(),
  };
}
