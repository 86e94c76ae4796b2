// SetStockPolicy: safety stock and the low-stock threshold of one level. A safety stock change is a
// 'policy' movement in the ledger (so the ledger still sums to the balances); the threshold is not a
// bucket and is written beside it. The low-stock transition is evaluated against the new threshold.
import { internal, invalidArgument } from "@stockroom/errors";
import { ensureStockLevels, lockStockLevels, writeStockChanges } from "../../data/stock.repo.ts";
import { setLowStockThreshold } from "../../data/warehouse-admin.repo.ts";
import { levelKey } from "../../domain/stock-level.ts";
import { planStockChanges } from "../stock-changes.ts";
import type { LevelSnapshot } from "../stock-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { requireWarehouse } from "./warehouses.ts";

export interface SetStockPolicyCommand {
  warehouseCode: string;
  sku: string;
  safetyStock: number;
  lowStockThreshold: number;
}

export function setStockPolicyUseCase(deps: UseCaseDeps) {
  return async function setStockPolicy(
    command: SetStockPolicyCommand,
    context: RequestContext,
  ): Promise<LevelSnapshot> {
    if (!Number.isSafeInteger(command.safetyStock) || command.safetyStock < 0) {
      throw invalidArgument("safety_stock", "must be a non-negative integer");
    }
    if (!Number.isSafeInteger(command.lowStockThreshold) || command.lowStockThreshold < 0) {
      throw invalidArgument("low_stock_threshold", "must be a non-negative integer");
    }
    await requireWarehouse(deps, command.warehouseCode);
    const key = { warehouseCode: command.warehouseCode, sku: command.sku };
    return deps.transaction(async (trx) => {
      await ensureStockLevels(trx, [key]);
      const locked = await lockStockLevels(trx, [key]);
      const current = locked.get(levelKey(key));
      if (!current)
        throw internal(`stock level ${command.warehouseCode}/${command.sku} vanished under its lock`);
      // Planned against the new threshold so the low-stock transition reflects the new policy.
      const withPolicy = new Map([
        [levelKey(key), { ...current, lowStockThreshold: command.lowStockThreshold }],
      ]);
      const planned = planStockChanges(
        withPolicy,
        [{ key, deltas: { safetyStock: command.safetyStock - current.safetyStock }, reason: "policy" }],
        { eventContext: context, reference: { type: "stock_policy", id: "" }, now: deps.clock() },
      );
      if (command.lowStockThreshold !== current.lowStockThreshold) {
        await setLowStockThreshold(trx, command.warehouseCode, command.sku, command.lowStockThreshold);
      }
      await writeStockChanges(
        trx,
        { actor: context.actor, referenceType: "stock_policy", referenceId: "" },
        planned.writeSet,
      );
      const level = planned.levels[0];
      if (!level) throw internal("policy change planned no level");
      return level;
    });
  };
}
