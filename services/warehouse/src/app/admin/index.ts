// Every admin use case, built from the same deps, for main.ts and the admin gRPC handler.
import { createReceiveStock } from "../receive-stock.ts";
import type { UseCaseDeps } from "../use-case-deps.ts";
import { createAdjustStock } from "./adjust-stock.ts";
import { createCreateBin, createDeleteBin, createListBins } from "./bins.ts";
import { createBulkAdjustStock } from "./bulk-adjust-stock.ts";
import { createExportMovements, createListMovements } from "./list-movements.ts";
import { createListReservations } from "./list-reservations.ts";
import { createReconcile } from "./reconcile.ts";
import { createRecordCycleCount } from "./record-cycle-count.ts";
import { createSetStockPolicy } from "./set-stock-policy.ts";
import { createCreateTransfer, createDispatchTransfer, createReceiveTransfer } from "./transfers.ts";
import {
  createCreateWarehouse,
  createGetWarehouse,
  createListWarehouses,
  createUpdateWarehouse,
} from "./warehouses.ts";

export function createAdminUseCases(deps: UseCaseDeps) {
  return {
    createWarehouse: createCreateWarehouse(deps),
    updateWarehouse: createUpdateWarehouse(deps),
    getWarehouse: createGetWarehouse(deps),
    listWarehouses: createListWarehouses(deps),
    createBin: createCreateBin(deps),
    listBins: createListBins(deps),
    deleteBin: createDeleteBin(deps),
    setStockPolicy: createSetStockPolicy(deps),
    receiveStock: createReceiveStock(deps),
    adjustStock: createAdjustStock(deps),
    bulkAdjustStock: createBulkAdjustStock(deps),
    createTransfer: createCreateTransfer(deps),
    dispatchTransfer: createDispatchTransfer(deps),
    receiveTransfer: createReceiveTransfer(deps),
    recordCycleCount: createRecordCycleCount(deps),
    listMovements: createListMovements(deps),
    exportMovements: createExportMovements(deps),
    reconcile: createReconcile(deps),
    listReservations: createListReservations(deps),
  };
}

export type AdminUseCases = ReturnType<typeof createAdminUseCases>;
