// Applies one warehouse.stock.v1 event to the availability projection. The per-warehouse row moves only
// forward (newer level version), so duplicates and out-of-order deliveries change nothing; totals are
// summed at read time. Runs in the consumer's transaction, next to its event_processing_log row.
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { StockLevelChangedSchema } from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import type { Transaction } from "kysely";
import { upsertLevelIfNewer } from "../data/availability.repo.ts";
import type { CatalogDatabase } from "../data/database.ts";
import { projectionVersion } from "../data/product-view.repo.ts";
import { isValidSku, isValidWarehouseCode } from "../domain/product.ts";
import { levelUpdateFrom } from "./level-update.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type StockApplyOutcome =
  | { outcome: "applied"; sku: string; projectionVersion: number }
  // The stored row is as new or newer (duplicate or overtaken event).
  | { outcome: "stale"; sku: string }
  // Another event type on the topic (LowStockReached, WarehouseCapacityCrossed): nothing to project.
  | { outcome: "ignored" };

export class StockEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StockEventInvalidError";
  }
}

export function applyStockLevelChangedUseCase(deps: Pick<UseCaseDeps, "cache">) {
  return async function applyStockLevelChanged(
    trx: Transaction<CatalogDatabase>,
    envelope: EventEnvelope,
  ): Promise<StockApplyOutcome> {
    if (!envelope.payload || !anyIs(envelope.payload, StockLevelChangedSchema)) return { outcome: "ignored" };
    const event = anyUnpack(envelope.payload, StockLevelChangedSchema);
    const level = event?.level;
    // A payload that does not fit is a poison message: thrown, it goes to the dead-letter topic.
    if (
      !level ||
      !isValidSku(level.sku) ||
      !isValidWarehouseCode(level.warehouseCode) ||
      level.version < 1n
    ) {
      throw new StockEventInvalidError(`event ${envelope.eventId}: StockLevelChanged without a valid level`);
    }
    const sku = level.sku;
    const written = await upsertLevelIfNewer(trx, levelUpdateFrom(level));
    if (!written) return { outcome: "stale", sku };
    const version = await projectionVersion(trx, sku);
    // Before commit on purpose: the tombstone at the new version refuses every older view from then on,
    // including one a reader loads between now and the commit. If the transaction rolls back, the
    // tombstone only costs cache misses until it expires.
    await deps.cache?.invalidate(sku, version);
    return { outcome: "applied", sku, projectionVersion: version };
  };
}
