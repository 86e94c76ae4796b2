// RecordQualityCheck: units go on hold for inspection (on_hand → quality_control) and come back
// (pass: → on_hand) or are written off as damaged (fail). A hold takes units from one lot, and only
// units no reservation holds there, so QC never takes stock promised to a customer.
import { ErrorReason, failedPrecondition, internal } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { findLots, type LotWrite, lockStockLevels, writeStockChanges } from "../data/stock.repo.ts";
import type { MovementReason } from "../domain/movement-reason.ts";
import type { BucketDeltas } from "../domain/stock-level.ts";
import { levelKey } from "../domain/stock-level.ts";
import { planStockChanges } from "./stock-changes.ts";
import type { LevelSnapshot } from "./stock-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export type QualityOutcome = "hold" | "pass" | "fail";

export interface RecordQualityCheckCommand {
  idempotencyKey: string;
  warehouseCode: string;
  sku: string;
  quantity: number;
  outcome: QualityOutcome;
  reason: string;
  reference: { type: string; id: string };
  // '' is the untracked lot.
  lotCode: string;
}

export interface RecordQualityCheckResult {
  level: LevelSnapshot;
}

const MOVES: Record<
  QualityOutcome,
  { reason: MovementReason; deltas: (q: number) => BucketDeltas; lotDelta: (q: number) => number }
> = {
  hold: { reason: "qc_hold", deltas: (q) => ({ onHand: -q, qualityControl: q }), lotDelta: (q) => -q },
  pass: { reason: "qc_pass", deltas: (q) => ({ qualityControl: -q, onHand: q }), lotDelta: (q) => q },
  fail: { reason: "qc_fail", deltas: (q) => ({ qualityControl: -q, damaged: q }), lotDelta: () => 0 },
};

export function recordQualityCheckUseCase(deps: UseCaseDeps) {
  return async function recordQualityCheck(
    command: RecordQualityCheckCommand,
    context: RequestContext,
  ): Promise<RecordQualityCheckResult> {
    const { idempotencyKey, ...request } = command;
    const move = MOVES[command.outcome];
    return deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "quality_check",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          async () => {
            const now = deps.clock();
            const key = { warehouseCode: command.warehouseCode, sku: command.sku };
            const levels = await lockStockLevels(trx, [key]);
            if (command.outcome === "hold")
              await assertLotHasFreeUnits(trx, key, command.lotCode, command.quantity);
            const lotDelta = move.lotDelta(command.quantity);
            const lots: LotWrite[] =
              lotDelta === 0
                ? []
                : [
                    {
                      ...key,
                      lotCode: command.lotCode,
                      expiresOn: null,
                      onHandDelta: lotDelta,
                      allocatedDelta: 0,
                    },
                  ];
            const planned = planStockChanges(
              levels,
              [{ key, deltas: move.deltas(command.quantity), reason: move.reason, lotCode: command.lotCode }],
              { eventContext: context, reference: command.reference, now, lots },
            );
            await writeStockChanges(
              trx,
              {
                actor: context.actor,
                referenceType: command.reference.type,
                referenceId: command.reference.id,
              },
              planned.writeSet,
            );
            const level = planned.levels.find((l) => levelKey(l) === levelKey(key));
            if (!level) throw internal("planned quality check lost its level");
            return { level };
          },
        ),
      context,
    );
  };
}

// Lots are read under the level's lock (taken above), so the free count cannot change under us.
async function assertLotHasFreeUnits(
  trx: Parameters<typeof findLots>[0],
  key: { warehouseCode: string; sku: string },
  lotCode: string,
  quantity: number,
): Promise<void> {
  const lots = await findLots(trx, [key]);
  const lot = (lots.get(levelKey(key)) ?? []).find((l) => l.lotCode === lotCode);
  const free = lot ? lot.onHand - lot.allocated : 0;
  if (free < quantity) {
    throw failedPrecondition(
      ErrorReason.INSUFFICIENT_STOCK,
      `lot '${lotCode}' of sku ${key.sku} in warehouse ${key.warehouseCode} has ${free} free units; ${quantity} cannot be held for QC`,
      {
        sku: key.sku,
        warehouse_code: key.warehouseCode,
        lot_code: lotCode,
        requested: String(quantity),
        available: String(free),
      },
    );
  }
}
