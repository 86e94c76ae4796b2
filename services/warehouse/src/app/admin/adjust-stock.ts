// AdjustStock: damage (on_hand -> damaged), loss, found and signed corrections of on_hand. Units
// leave from the named lot or the untracked lot '' and only from its free units (on_hand - allocated),
// so an adjustment never takes units a reservation holds in that lot. The level check (reserved +
// committed <= on_hand) runs first, in planStockChanges, so its error names the shortfall.
import { ErrorReason, failedPrecondition, internal, invalidArgument } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import {
  type Db,
  ensureStockLevels,
  findLots,
  type LotWrite,
  lockStockLevels,
  writeStockChanges,
} from "../../data/stock.repo.ts";
import type { MovementReason } from "../../domain/movement-reason.ts";
import { type BucketDeltas, levelKey, type StockLevelKey } from "../../domain/stock-level.ts";
import { planStockChanges } from "../stock-changes.ts";
import type { LevelSnapshot } from "../stock-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { requireWarehouse } from "./warehouses.ts";

export const ADJUSTMENT_REASONS = ["damage", "loss", "found", "correction"] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];

export interface AdjustStockCommand {
  idempotencyKey: string;
  warehouseCode: string;
  sku: string;
  // Signed change of on_hand.
  quantityDelta: number;
  reason: AdjustmentReason;
  note: string;
  // Empty: the untracked lot.
  lotCode: string;
}

export interface OnHandChange {
  key: StockLevelKey;
  deltas: BucketDeltas;
  movementReason: MovementReason;
  lotCode: string;
  reference: { type: string; id: string };
  // Kept on the ledger row; empty: none.
  note: string;
}

// Which sign each reason allows, and the buckets it moves.
export function adjustmentChange(command: Omit<AdjustStockCommand, "idempotencyKey">): OnHandChange {
  const delta = command.quantityDelta;
  if (!Number.isSafeInteger(delta) || delta === 0)
    throw invalidArgument("quantity_delta", "must be a non-zero integer");
  const key = { warehouseCode: command.warehouseCode, sku: command.sku };
  const base = {
    key,
    lotCode: command.lotCode,
    reference: { type: "adjustment", id: "" },
    note: command.note,
  };
  switch (command.reason) {
    case "damage":
      if (delta > 0)
        throw invalidArgument("quantity_delta", "a damage adjustment removes units: it must be negative");
      return { ...base, deltas: { onHand: delta, damaged: -delta }, movementReason: "adjust_damage" };
    case "loss":
      if (delta > 0)
        throw invalidArgument("quantity_delta", "a loss adjustment removes units: it must be negative");
      return { ...base, deltas: { onHand: delta }, movementReason: "adjust_loss" };
    case "found":
      if (delta < 0)
        throw invalidArgument("quantity_delta", "a found adjustment adds units: it must be positive");
      return { ...base, deltas: { onHand: delta }, movementReason: "adjust_found" };
    case "correction":
      return { ...base, deltas: { onHand: delta }, movementReason: "adjust_correction" };
    default:
      throw invalidArgument("reason", "must be DAMAGE, LOSS, FOUND or CORRECTION");
  }
}

// Applies one on_hand change under the level's lock, inside the caller's transaction.
export async function applyOnHandChange(
  trx: Db,
  deps: Pick<UseCaseDeps, "clock">,
  change: OnHandChange,
  context: RequestContext,
): Promise<LevelSnapshot> {
  const onHandDelta = change.deltas.onHand ?? 0;
  if (onHandDelta > 0) await ensureStockLevels(trx, [change.key]);
  const locked = await lockStockLevels(trx, [change.key]);
  const planned = planStockChanges(
    locked,
    [{ key: change.key, deltas: change.deltas, reason: change.movementReason, lotCode: change.lotCode }],
    { eventContext: context, reference: change.reference, now: deps.clock() },
  );
  const lots: LotWrite[] = [];
  if (onHandDelta !== 0) {
    if (onHandDelta < 0) await assertLotCanGive(trx, change, -onHandDelta);
    lots.push({ ...change.key, lotCode: change.lotCode, expiresOn: null, onHandDelta, allocatedDelta: 0 });
  }
  await writeStockChanges(
    trx,
    {
      actor: context.actor,
      referenceType: change.reference.type,
      referenceId: change.reference.id,
      note: change.note === "" ? null : change.note,
    },
    { ...planned.writeSet, lots },
  );
  const level = planned.levels.find((l) => levelKey(l) === levelKey(change.key));
  if (!level) throw internal("stock change planned no level");
  return level;
}

async function assertLotCanGive(trx: Db, change: OnHandChange, quantity: number): Promise<void> {
  const lots = (await findLots(trx, [change.key])).get(levelKey(change.key)) ?? [];
  assertLotHasFree(
    change,
    lots.find((l) => l.lotCode === change.lotCode),
    quantity,
  );
}

// Units leave a lot only from its free units (on_hand - allocated); a lot that does not exist has none.
export function assertLotHasFree(
  change: Pick<OnHandChange, "key" | "lotCode">,
  lot: { onHand: number; allocated: number } | undefined,
  quantity: number,
): void {
  const free = lot ? lot.onHand - lot.allocated : 0;
  if (free < quantity) {
    const name = change.lotCode === "" ? "the untracked lot" : `lot ${change.lotCode}`;
    throw failedPrecondition(
      ErrorReason.INSUFFICIENT_STOCK,
      `${name} of sku ${change.key.sku} in warehouse ${change.key.warehouseCode} has ${free} free units; ${quantity} cannot be removed`,
      {
        sku: change.key.sku,
        warehouse_code: change.key.warehouseCode,
        lot_code: change.lotCode,
        shortfall: String(quantity - free),
      },
    );
  }
}

export function adjustStockUseCase(deps: UseCaseDeps) {
  return async function adjustStock(
    command: AdjustStockCommand,
    context: RequestContext,
  ): Promise<LevelSnapshot> {
    const { idempotencyKey, ...request } = command;
    const change = adjustmentChange(request);
    change.reference = { type: "adjustment", id: idempotencyKey };
    await requireWarehouse(deps, command.warehouseCode);
    const snapshot = await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "adjust",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          () => applyOnHandChange(trx, deps, change, context),
        ),
      context,
    );
    return reviveSnapshot(snapshot);
  };
}

// A replayed answer comes back from JSON: its date is a string again.
export function reviveSnapshot(snapshot: LevelSnapshot): LevelSnapshot {
  return { ...snapshot, updatedAt: new Date(snapshot.updatedAt) };
}
