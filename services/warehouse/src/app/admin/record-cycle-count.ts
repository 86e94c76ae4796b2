// RecordCycleCount: a physical count of sellable units. The variance (counted - on_hand before the
// count) is posted as a 'cycle_count' movement of on_hand (the ledger actor is the caller; counted_by is
// not a ledger column and only part of the request fingerprint). A shortfall is taken from the untracked lot
// first, then from tracked lots' free units latest-expiry first (the units FEFO would pick last); it
// is refused when the count would leave reserved + committed above on_hand.
import { ErrorReason, failedPrecondition, internal, invalidArgument } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import {
  ensureStockLevels,
  findLots,
  type LotRow,
  type LotWrite,
  lockStockLevels,
  writeStockChanges,
} from "../../data/stock.repo.ts";
import { levelKey } from "../../domain/stock-level.ts";
import { planStockChanges } from "../stock-changes.ts";
import type { LevelSnapshot } from "../stock-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { reviveSnapshot } from "./adjust-stock.ts";
import { requireWarehouse } from "./warehouses.ts";

export interface RecordCycleCountCommand {
  idempotencyKey: string;
  warehouseCode: string;
  sku: string;
  countedQuantity: number;
  countedBy: string;
}

export interface CycleCountResult {
  level: LevelSnapshot;
  variance: number;
}

// Untracked first, then the latest expiry (no expiry counts as latest).
function shrinkOrder(lots: LotRow[]): LotRow[] {
  return [...lots].sort((a, b) => {
    if (a.lotCode === "" || b.lotCode === "") return a.lotCode === "" ? -1 : 1;
    if (a.expiresOn === b.expiresOn) return a.lotCode.localeCompare(b.lotCode);
    if (a.expiresOn === null || b.expiresOn === null) return a.expiresOn === null ? -1 : 1;
    return a.expiresOn > b.expiresOn ? -1 : 1;
  });
}

function lotWritesFor(command: RecordCycleCountCommand, lots: LotRow[], variance: number): LotWrite[] {
  const key = { warehouseCode: command.warehouseCode, sku: command.sku };
  if (variance > 0)
    return [{ ...key, lotCode: "", expiresOn: null, onHandDelta: variance, allocatedDelta: 0 }];
  const writes: LotWrite[] = [];
  let missing = -variance;
  for (const lot of shrinkOrder(lots)) {
    const take = Math.min(missing, lot.onHand - lot.allocated);
    if (take > 0) {
      writes.push({ ...key, lotCode: lot.lotCode, expiresOn: null, onHandDelta: -take, allocatedDelta: 0 });
      missing -= take;
    }
  }
  if (missing > 0) {
    throw failedPrecondition(
      ErrorReason.INSUFFICIENT_STOCK,
      `the lots of sku ${command.sku} in warehouse ${command.warehouseCode} lack ${missing} free units for the count`,
      { sku: command.sku, warehouse_code: command.warehouseCode, shortfall: String(missing) },
    );
  }
  return writes;
}

export function recordCycleCountUseCase(deps: UseCaseDeps) {
  return async function recordCycleCount(
    command: RecordCycleCountCommand,
    context: RequestContext,
  ): Promise<CycleCountResult> {
    if (!Number.isSafeInteger(command.countedQuantity) || command.countedQuantity < 0) {
      throw invalidArgument("counted_quantity", "must be a non-negative integer");
    }
    await requireWarehouse(deps, command.warehouseCode);
    const { idempotencyKey, ...request } = command;
    const key = { warehouseCode: command.warehouseCode, sku: command.sku };
    const reference = { type: "cycle_count", id: idempotencyKey };
    const result = await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "cycle_count",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          async () => {
            await ensureStockLevels(trx, [key]);
            const locked = await lockStockLevels(trx, [key]);
            const before = locked.get(levelKey(key));
            if (!before)
              throw internal(`stock level ${command.warehouseCode}/${command.sku} vanished under its lock`);
            const variance = command.countedQuantity - before.onHand;
            const planned = planStockChanges(
              locked,
              [
                {
                  key,
                  deltas: { onHand: variance },
                  reason: "cycle_count",
                  lotCode: variance > 0 ? "" : null,
                },
              ],
              { eventContext: context, reference, now: deps.clock() },
            );
            const lots =
              variance === 0
                ? []
                : lotWritesFor(command, (await findLots(trx, [key])).get(levelKey(key)) ?? [], variance);
            await writeStockChanges(
              trx,
              { actor: context.actor, referenceType: reference.type, referenceId: reference.id },
              { ...planned.writeSet, lots },
            );
            const level = planned.levels[0];
            if (!level) throw internal("cycle count planned no level");
            return { level, variance };
          },
        ),
      context,
    );
    return { level: reviveSnapshot(result.level), variance: result.variance };
  };
}
