// Every warehouse use case, built once from the same deps: main.ts serves these, and the tests call
// these, so what is tested is what runs. Grouped by caller: WarehouseService, WarehouseAdminService and
// the expiry sweeper.
import type { ReservationTtlPolicy } from "../domain/reservation-ttl.ts";
import { adjustStockUseCase } from "./admin/adjust-stock.ts";
import { createBinUseCase, deleteBinUseCase, listBinsUseCase } from "./admin/bins.ts";
import { bulkAdjustStockUseCase } from "./admin/bulk-adjust-stock.ts";
import { exportMovementsUseCase, listMovementsUseCase } from "./admin/list-movements.ts";
import { listReservationsUseCase } from "./admin/list-reservations.ts";
import { reconcileUseCase } from "./admin/reconcile.ts";
import { recordCycleCountUseCase } from "./admin/record-cycle-count.ts";
import { setStockPolicyUseCase } from "./admin/set-stock-policy.ts";
import { createTransferUseCase, dispatchTransferUseCase, receiveTransferUseCase } from "./admin/transfers.ts";
import {
  createWarehouseUseCase,
  getWarehouseUseCase,
  listWarehousesUseCase,
  updateWarehouseUseCase,
} from "./admin/warehouses.ts";
import {
  countOverdueReservationsUseCase,
  expireReservationsUseCase,
  oldestActiveReservationAgeUseCase,
} from "./expire-reservations.ts";
import { getReservationUseCase } from "./get-reservation.ts";
import { getStockUseCase } from "./get-stock.ts";
import { listUnitLocationsUseCase } from "./list-unit-locations.ts";
import { receiveStockUseCase } from "./receive-stock.ts";
import { recordQualityCheckUseCase } from "./record-quality-check.ts";
import {
  cancelReservationUseCase,
  confirmReservationUseCase,
  extendReservationUseCase,
  releaseReservationUseCase,
  shipReservationUseCase,
} from "./reservation-commands.ts";
import { type ReserveBatching, reserveStockUseCase } from "./reserve-stock.ts";
import { restockReturnUseCase } from "./restock-return.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface UseCaseSettings {
  ttlPolicy: ReservationTtlPolicy;
  batching: ReserveBatching;
  // What reserve batches run on (in main.ts a pipelined pool of their own); `deps` when not given.
  reserveDeps?: UseCaseDeps | undefined;
}

export function buildUseCases(deps: UseCaseDeps, settings: UseCaseSettings) {
  return {
    warehouse: {
      getStock: getStockUseCase(deps),
      getReservation: getReservationUseCase(deps),
      reserve: reserveStockUseCase({
        ...(settings.reserveDeps ?? deps),
        ttlPolicy: settings.ttlPolicy,
        batching: settings.batching,
      }),
      extend: extendReservationUseCase({ ...deps, ttlPolicy: settings.ttlPolicy }),
      release: releaseReservationUseCase(deps),
      confirm: confirmReservationUseCase(deps),
      cancel: cancelReservationUseCase(deps),
      ship: shipReservationUseCase(deps),
      restockReturn: restockReturnUseCase(deps),
      recordQualityCheck: recordQualityCheckUseCase(deps),
      listUnitLocations: listUnitLocationsUseCase(deps),
    },
    admin: {
      createWarehouse: createWarehouseUseCase(deps),
      updateWarehouse: updateWarehouseUseCase(deps),
      getWarehouse: getWarehouseUseCase(deps),
      listWarehouses: listWarehousesUseCase(deps),
      createBin: createBinUseCase(deps),
      listBins: listBinsUseCase(deps),
      deleteBin: deleteBinUseCase(deps),
      setStockPolicy: setStockPolicyUseCase(deps),
      receiveStock: receiveStockUseCase(deps),
      adjustStock: adjustStockUseCase(deps),
      bulkAdjustStock: bulkAdjustStockUseCase(deps),
      createTransfer: createTransferUseCase(deps),
      dispatchTransfer: dispatchTransferUseCase(deps),
      receiveTransfer: receiveTransferUseCase(deps),
      recordCycleCount: recordCycleCountUseCase(deps),
      listMovements: listMovementsUseCase(deps),
      exportMovements: exportMovementsUseCase(deps),
      reconcile: reconcileUseCase(deps),
      listReservations: listReservationsUseCase(deps),
    },
    expiry: {
      expire: expireReservationsUseCase(deps),
      oldestActiveReservationAge: oldestActiveReservationAgeUseCase(deps),
      countOverdue: countOverdueReservationsUseCase(deps),
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
export type WarehouseUseCases = UseCases["warehouse"];
export type AdminUseCases = UseCases["admin"];
