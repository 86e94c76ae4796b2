// BuildWave (ops): OPEN fulfillment orders of one warehouse onto one pick list (batch picking), its lines
// drawn from the bins the warehouse says hold the units, in route order. The warehouse is asked before
// the transaction (a read); the transaction locks the fulfillments it takes (SKIP LOCKED: a wave built
// at the same time takes others) and moves each open → picking, guarded.
import { ErrorReason, failedPrecondition, invalidArgument } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import {
  findFulfillment,
  listOpenFulfillmentIds,
  transitionFulfillment,
} from "../data/fulfillment-order.repo.ts";
import { findPickList, insertPickList, type PickListRow } from "../data/pick-list.repo.ts";
import { unitsToPick } from "../domain/fulfillment-line.ts";
import { planWave, type WaveCandidate } from "../domain/wave-plan.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface BuildWaveCommand {
  idempotencyKey: string;
  warehouseCode: string;
  maxOrders: number;
  fulfillmentIds?: string[] | undefined;
}

export function buildWaveUseCase(deps: UseCaseDeps) {
  async function candidates(db: UseCaseDeps["db"], ids: readonly string[]): Promise<WaveCandidate[]> {
    const found: WaveCandidate[] = [];
    for (const id of ids) {
      const f = await findFulfillment(db, id);
      if (f?.status !== "open") continue;
      found.push({
        fulfillmentId: f.fulfillmentId,
        lines: f.lines
          .map((l) => ({
            orderLineNumber: l.orderLineNumber,
            sku: l.sku,
            lotCode: l.lotCode,
            toPick: unitsToPick(l),
          }))
          .filter((l) => l.toPick > 0),
      });
    }
    return found;
  }

  return async (command: BuildWaveCommand, context: RequestContext): Promise<PickListRow> => {
    const { idempotencyKey, ...request } = command;
    const options = { limit: command.maxOrders, ids: command.fulfillmentIds };
    // Where the units are, for the fulfillments that look open now (re-checked under lock below).
    const preview = await candidates(
      deps.db,
      await listOpenFulfillmentIds(deps.db, command.warehouseCode, options),
    );
    const skus = [...new Set(preview.flatMap((c) => c.lines.map((l) => l.sku)))];
    const located =
      skus.length > 0 ? await deps.locations.listUnitLocations(command.warehouseCode, skus) : [];
    // The stored answer (replayed for the same key) is the list's id; the list is read after commit.
    const { pickListId } = await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "build-wave",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const locked = await listOpenFulfillmentIds(trx, command.warehouseCode, { ...options, lock: true });
          if (command.fulfillmentIds !== undefined) {
            const missing = command.fulfillmentIds.filter((id) => !locked.includes(id));
            if (missing.length > 0) {
              throw invalidArgument(
                "fulfillment_ids",
                `fulfillments ${missing.join(", ")} are not OPEN in warehouse ${command.warehouseCode} (or another wave is taking them)`,
              );
            }
          }
          const plan = planWave(await candidates(trx, locked), located);
          if (plan.fulfillmentIds.length === 0) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              locked.length === 0
                ? `warehouse ${command.warehouseCode} has no OPEN fulfillment to pick`
                : `no OPEN fulfillment of warehouse ${command.warehouseCode} has all its units in bins`,
              { field: "warehouse_code", unlocated: String(plan.unlocated.length) },
            );
          }
          const pickListId = uuidv7();
          await insertPickList(
            trx,
            { pickListId, warehouseCode: command.warehouseCode, createdBy: context.actor, lines: plan.lines },
            now,
          );
          for (const fulfillmentId of plan.fulfillmentIds) {
            const version = await transitionFulfillment(trx, fulfillmentId, "start_picking", now, {
              pickListId,
            });
            if (version === undefined)
              throw new Error(`fulfillment ${fulfillmentId} left OPEN under its lock`);
          }
          return { pickListId };
        },
      ),
    );
    const list = await findPickList(deps.db, pickListId);
    if (!list) throw new Error(`pick list ${pickListId} vanished after its commit`);
    return list;
  };
}
