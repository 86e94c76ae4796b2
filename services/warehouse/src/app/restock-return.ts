// RestockReturn: returned units come back into a warehouse, sellable ones into on_hand (and a lot, so
// FEFO can allocate them again), damaged ones into the damaged bucket. Returns are never refused for
// capacity: the goods are already in the building.
import { ErrorReason, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { ensureStockLevels, type LotWrite, lockStockLevels, writeStockChanges } from "../data/stock.repo.ts";
import { findExistingWarehouseCodes } from "../data/warehouse.repo.ts";
import { levelKey, type StockLevelKey } from "../domain/stock-level.ts";
import { planStockChanges, type StockChange } from "./stock-changes.ts";
import type { LevelSnapshot } from "./stock-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export type ReturnCondition = "sellable" | "damaged";

export interface RestockReturnCommand {
  idempotencyKey: string;
  returnId: string;
  lines: {
    sku: string;
    warehouseCode: string;
    quantity: number;
    condition: ReturnCondition;
    lotCode: string;
  }[];
}

export interface RestockReturnResult {
  levels: LevelSnapshot[];
}

export function restockReturnUseCase(deps: UseCaseDeps) {
  return async function restockReturn(
    command: RestockReturnCommand,
    context: RequestContext,
  ): Promise<RestockReturnResult> {
    const { idempotencyKey, ...request } = command;
    const reference = { type: "return", id: command.returnId };
    return deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "restock_return",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          async () => {
            const now = deps.clock();
            const codes = [...new Set(command.lines.map((line) => line.warehouseCode))];
            const existing = await findExistingWarehouseCodes(trx, codes);
            const missing = codes.find((code) => !existing.has(code));
            if (missing !== undefined) {
              throw notFound(ErrorReason.WAREHOUSE_NOT_FOUND, `warehouse ${missing} does not exist`, {
                warehouse_code: missing,
              });
            }
            const keys: StockLevelKey[] = [
              ...new Map(
                command.lines.map((l) => [levelKey(l), { warehouseCode: l.warehouseCode, sku: l.sku }]),
              ).values(),
            ];
            await ensureStockLevels(trx, keys);
            const levels = await lockStockLevels(trx, keys);
            const changes: StockChange[] = command.lines.map((line) => ({
              key: { warehouseCode: line.warehouseCode, sku: line.sku },
              deltas: line.condition === "sellable" ? { onHand: line.quantity } : { damaged: line.quantity },
              reason: line.condition === "sellable" ? "return_sellable" : "return_damaged",
              lotCode: line.condition === "sellable" ? line.lotCode : null,
            }));
            // Sellable units join a lot ('' is the untracked lot) so reservations can allocate them again.
            const lots: LotWrite[] = command.lines
              .filter((line) => line.condition === "sellable")
              .map((line) => ({
                warehouseCode: line.warehouseCode,
                sku: line.sku,
                lotCode: line.lotCode,
                expiresOn: null,
                onHandDelta: line.quantity,
                allocatedDelta: 0,
              }));
            const planned = planStockChanges(levels, changes, {
              eventContext: context,
              reference,
              now,
              lots,
            });
            await writeStockChanges(
              trx,
              { actor: context.actor, referenceType: reference.type, referenceId: reference.id },
              planned.writeSet,
            );
            return { levels: planned.levels };
          },
        ),
      context,
    );
  };
}
