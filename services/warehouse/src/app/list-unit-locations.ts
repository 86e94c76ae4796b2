// ListUnitLocations: where a warehouse's units of some skus are, bin by bin in pick order, so the
// fulfillment service can route a pick list (lot_bin_units, recorded by receipts that name a bin).
import { ErrorReason, notFound } from "@stockroom/errors";
import { listUnitLocations, type UnitLocation } from "../data/lot-bin-units.repo.ts";
import { findExistingWarehouseCodes } from "../data/warehouse.repo.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function listUnitLocationsUseCase(deps: UseCaseDeps) {
  return async function listLocations(query: {
    warehouseCode: string;
    skus: readonly string[];
  }): Promise<UnitLocation[]> {
    const known = await findExistingWarehouseCodes(deps.db, [query.warehouseCode]);
    if (!known.has(query.warehouseCode)) {
      throw notFound(ErrorReason.WAREHOUSE_NOT_FOUND, `warehouse ${query.warehouseCode} does not exist`, {
        warehouse_code: query.warehouseCode,
      });
    }
    return listUnitLocations(deps.db, query.warehouseCode, [...new Set(query.skus)]);
  };
}
