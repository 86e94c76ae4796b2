// SetStockPolicy: safety stock and the low-stock threshold of one level. A safety stock change is a
// 'policy' movement in the ledger (so the ledger still sums to the balances); the threshold is not a
// bucket and is written beside it. The low-stock transition is evaluated against the new threshold.
// It runs once per idempotency key; a retry replays the first answer.
import { internal, invalidArgument } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { ensureStockLevels, lockStockLevels, writeStockChanges } from "../../data/stock.repo.ts";
import { setLowStockThreshold } from "../../data/warehouse-admin.repo.ts";
import { levelKey } from "../../domain/stock-level.ts";
import { planStockChanges } from "../stock-changes.ts";
import type { LevelSnapshot } from "../stock-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { reviveSnapshot } from "./adjust-stock.ts";
import { requireWarehouse } from "./warehouses.ts";

export interface SetStockPolicyCommand {
  idempotencyKey: string;
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
    const { idempotencyKey, ...request } = command;
    const key = { warehouseCode: command.warehouseCode, sku: command.sku };
    // The ledger row and event name the request that wrote them, as adjustments do.
    const reference = { type: "stock_policy", id: idempotencyKey };
    const level = await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "stock_policy",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          async () => {
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
              { eventContext: context, reference, now: deps.clock() },
            );
            if (command.lowStockThreshold !== current.lowStockThreshold) {
              await setLowStockThreshold(trx, command.warehouseCode, command.sku, command.lowStockThreshold);
            }
            await writeStockChanges(
              trx,
              { actor: context.actor, referenceType: reference.type, referenceId: reference.id },
              planned.writeSet,
            );
            const level = planned.levels[0];
            if (!level) throw internal("policy change planned no level");
            return level;
          },
        ),
      context,
    );
    return reviveSnapshot(level);
  };
}
