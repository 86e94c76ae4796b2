// ReceiveStock: goods arrive at a warehouse into lots (FEFO needs their expiry). Capacity is checked
// under the warehouse's row lock; the receipt, ledger and events commit together.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { ensureStockLevels, type LotWrite, lockStockLevels, writeStockChanges } from "../data/stock.repo.ts";
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
  lines: { sku: string; quantity: number; lotCode: string; expiresOn: string | null }[];
}

export interface ReceiveStockResult {
  levels: LevelSnapshot[];
  overCapacity: boolean;
}

export function createReceiveStock(deps: UseCaseDeps) {
  return async function receiveStock(
    command: ReceiveStockCommand,
    context: RequestContext,
  ): Promise<ReceiveStockResult> {
    const { idempotencyKey, ...request } = command;
    return deps.transaction((trx) =>
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
          return {
            levels: keys.flatMap((key) => planned.levels.filter((l) => levelKey(l) === levelKey(key))),
            overCapacity: capacity.overCapacity,
          };
        },
      ),
    );
  };
}
