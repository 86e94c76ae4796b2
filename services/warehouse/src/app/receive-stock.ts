// ReceiveStock: goods arrive at a warehouse into lots (FEFO needs their expiry) and, when a line names
// one, into a bin (units per lot and bin, so picking can find them). Capacity is checked under the
// warehouse's row lock; the receipt, bin units, ledger and events commit together.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { addLotBinUnits, type LotBinUnits, lockExistingBins } from "../data/lot-bin-units.repo.ts";
import {
  type Db,
  ensureStockLevels,
  type LotWrite,
  lockStockLevels,
  writeStockChanges,
} from "../data/stock.repo.ts";
import { lockWarehouseCapacity } from "../data/warehouse.repo.ts";
import { decideCapacity } from "../domain/capacity.ts";
import { levelKey, type StockLevelKey } from "../domain/stock-level.ts";
import { planStockChanges, type StockChange } from "./stock-changes.ts";
import type { LevelSnapshot } from "./stock-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";
import { recordFillAlert } from "./warehouse-fill-alert.ts";

export interface ReceiveStockCommand {
  idempotencyKey: string;
  warehouseCode: string;
  reference: { type: string; id: string };
  lines: ReceiptLine[];
}

export interface ReceiptLine {
  sku: string;
  quantity: number;
  lotCode: string;
  expiresOn: string | null;
  /**
   * The bin the units are put away in; absent: in no bin yet (left in the receiving area). Left out of
   * the command rather than null, so a receipt without bins keeps the idempotency fingerprint it had.
   */
  binCode?: string | undefined;
}

export interface ReceiveStockResult {
  levels: LevelSnapshot[];
  overCapacity: boolean;
}

export function receiveStockUseCase(deps: UseCaseDeps) {
  return async function receiveStock(
    command: ReceiveStockCommand,
    context: RequestContext,
  ): Promise<ReceiveStockResult> {
    const { idempotencyKey, ...request } = command;
    return deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "receive",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          async () => {
            const now = deps.clock();
            const warehouse = await lockWarehouseCapacity(trx, command.warehouseCode);
            if (!warehouse?.active) {
              throw notFound(
                ErrorReason.WAREHOUSE_NOT_FOUND,
                `warehouse ${command.warehouseCode} does not exist or is inactive`,
                {
                  warehouse_code: command.warehouseCode,
                },
              );
            }
            await requireBins(trx, command.warehouseCode, command.lines);
            const units = command.lines.reduce((sum, line) => sum + line.quantity, 0);
            const capacity = decideCapacity(warehouse, units);
            if (capacity.refused) {
              throw failedPrecondition(
                ErrorReason.CAPACITY_EXCEEDED,
                `warehouse ${warehouse.code} holds ${warehouse.unitsStored} of ${warehouse.capacityUnits} units; receiving ${units} would exceed its capacity`,
                {
                  warehouse_code: warehouse.code,
                  free_units: String(Math.max(0, warehouse.capacityUnits - warehouse.unitsStored)),
                },
              );
            }
            const keys: StockLevelKey[] = [
              ...new Map(
                command.lines.map((l) => [l.sku, { warehouseCode: command.warehouseCode, sku: l.sku }]),
              ).values(),
            ];
            await ensureStockLevels(trx, keys);
            const levels = await lockStockLevels(trx, keys);
            const changes: StockChange[] = command.lines.map((line) => ({
              key: { warehouseCode: command.warehouseCode, sku: line.sku },
              deltas: { onHand: line.quantity },
              reason: "receipt",
              lotCode: line.lotCode,
            }));
            const lots: LotWrite[] = command.lines.map((line) => ({
              warehouseCode: command.warehouseCode,
              sku: line.sku,
              lotCode: line.lotCode,
              expiresOn: line.expiresOn,
              onHandDelta: line.quantity,
              allocatedDelta: 0,
            }));
            const extraEvents = await recordFillAlert(trx, warehouse, capacity, units, now);
            const planned = planStockChanges(levels, changes, {
              eventContext: context,
              reference: command.reference,
              now,
              lots,
              extraEvents,
            });
            await writeStockChanges(
              trx,
              {
                actor: context.actor,
                referenceType: command.reference.type,
                referenceId: command.reference.id,
              },
              planned.writeSet,
            );
            await addLotBinUnits(trx, binUnitsOf(command.warehouseCode, command.lines));
            return {
              levels: keys.flatMap((key) => planned.levels.filter((l) => levelKey(l) === levelKey(key))),
              overCapacity: capacity.overCapacity,
            };
          },
        ),
      context,
    );
  };
}

// Every bin the lines name must exist in the warehouse; locked so it cannot be deleted under the receipt.
async function requireBins(trx: Db, warehouseCode: string, lines: ReceiptLine[]): Promise<void> {
  const named = [...new Set(lines.flatMap((line) => (line.binCode ? [line.binCode] : [])))];
  const existing = await lockExistingBins(trx, warehouseCode, named);
  const missing = named.find((code) => !existing.has(code));
  if (missing !== undefined) {
    throw notFound(ErrorReason.BIN_NOT_FOUND, `bin ${missing} does not exist in warehouse ${warehouseCode}`, {
      warehouse_code: warehouseCode,
      bin_code: missing,
    });
  }
}

// Units per (lot, bin), lines naming the same lot and bin summed: one row each.
function binUnitsOf(warehouseCode: string, lines: ReceiptLine[]): LotBinUnits[] {
  const byLotBin = new Map<string, LotBinUnits>();
  for (const line of lines) {
    if (!line.binCode) continue;
    const key = JSON.stringify([line.sku, line.lotCode, line.binCode]);
    const row = byLotBin.get(key);
    if (row) row.units += line.quantity;
    else {
      byLotBin.set(key, {
        warehouseCode,
        sku: line.sku,
        lotCode: line.lotCode,
        binCode: line.binCode,
        units: line.quantity,
      });
    }
  }
  return [...byLotBin.values()];
}
