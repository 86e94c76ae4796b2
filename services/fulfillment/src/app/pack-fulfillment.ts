// PackFulfillment (ops): every picked unit into one package, weighed. The expected weight is the sum of
// the catalog's unit weights (asked before the transaction, a read); a measured weight outside the
// tolerance, an order value at or above the threshold, or a random draw under the sampling rate holds
// the package for QC (FULF-P1-03: the check has an effect); a sku whose weight the catalog does not know
// (or all of them, while the catalog cannot be reached) counts as a mismatch. picked → packed | qc_hold, guarded; FulfillmentPacked says which.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import { findFulfillment, transitionFulfillment } from "../data/fulfillment-order.repo.ts";
import { insertPackage, markPickedUnitsPacked, setUnitWeights } from "../data/package.repo.ts";
import { assertFulfillmentCommand } from "../domain/fulfillment-order.ts";
import { decidePack, expectedWeightGrams } from "../domain/package.ts";
import { fulfillmentPackedEvent } from "./fulfillment-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface PackFulfillmentCommand {
  idempotencyKey: string;
  fulfillmentId: string;
  dimensions: { lengthMm: number; widthMm: number; heightMm: number };
  measuredWeightGrams: number;
}

export function packFulfillmentUseCase(deps: UseCaseDeps) {
  return async (command: PackFulfillmentCommand, context: RequestContext): Promise<{ packageId: string }> => {
    const { idempotencyKey, ...request } = command;
    const before = await findFulfillment(deps.db, command.fulfillmentId);
    if (!before) {
      throw notFound(ErrorReason.FULFILLMENT_NOT_FOUND, `fulfillment ${command.fulfillmentId} not found`);
    }
    // The catalog unreachable: no weight is known, and the package is held for QC on its weight (the
    // stricter path), rather than the floor stopping.
    const weights = await deps.catalog
      .unitWeights(before.lines.map((l) => l.sku))
      .catch(() => new Map<string, number>());
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "pack-fulfillment",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const fulfillment = await findFulfillment(trx, command.fulfillmentId);
          if (!fulfillment) throw new Error(`fulfillment ${command.fulfillmentId} vanished`);
          assertFulfillmentCommand(fulfillment.fulfillmentId, fulfillment.status, "pack");
          const lines = fulfillment.lines
            .filter((l) => l.picked > l.packed)
            .map((l) => ({ orderLineNumber: l.orderLineNumber, sku: l.sku, quantity: l.picked - l.packed }));
          if (lines.length === 0) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `fulfillment ${fulfillment.fulfillmentId} has no picked units to pack`,
            );
          }
          const unknownWeight = lines.some((l) => !weights.has(l.sku));
          const expected = expectedWeightGrams(
            lines.map((l) => ({ quantity: l.quantity, unitWeightGrams: weights.get(l.sku) ?? 0 })),
          );
          const decision = decidePack(
            {
              expectedGrams: expected,
              measuredGrams: command.measuredWeightGrams,
              orderValueMinor: fulfillment.orderValueMinor,
            },
            deps.qcPolicy,
            deps.random(),
          );
          const triggers =
            unknownWeight && !decision.triggers.includes("weight_mismatch")
              ? ["weight_mismatch" as const, ...decision.triggers.filter((t) => t !== "random_sample")]
              : decision.triggers;
          const held = triggers.length > 0;
          const version = await transitionFulfillment(
            trx,
            fulfillment.fulfillmentId,
            held ? "hold_for_qc" : "pack",
            now,
          );
          if (version === undefined) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `fulfillment ${fulfillment.fulfillmentId} changed while packing; retry`,
            );
          }
          await setUnitWeights(
            trx,
            fulfillment.fulfillmentId,
            new Map(
              lines.flatMap((l) => {
                const grams = weights.get(l.sku);
                return grams === undefined ? [] : [[l.orderLineNumber, grams] as const];
              }),
            ),
          );
          const packageId = uuidv7();
          await insertPackage(
            trx,
            {
              packageId,
              fulfillmentId: fulfillment.fulfillmentId,
              status: held ? "qc_hold" : "packed",
              dimensions: command.dimensions,
              expectedWeightGrams: expected,
              measuredWeightGrams: command.measuredWeightGrams,
              qcTriggers: triggers,
              lines: lines.map((l) => ({ orderLineNumber: l.orderLineNumber, quantity: l.quantity })),
            },
            now,
          );
          await markPickedUnitsPacked(trx, fulfillment.fulfillmentId);
          await appendToOutbox(trx, { producer: deps.producer }, [
            fulfillmentPackedEvent(
              {
                topic: deps.topics.fulfillment,
                fulfillmentId: fulfillment.fulfillmentId,
                orderId: fulfillment.orderId,
                warehouseCode: fulfillment.warehouseCode,
                version,
              },
              {
                packageId,
                expectedWeightGrams: expected,
                measuredWeightGrams: command.measuredWeightGrams,
                qcTriggers: triggers,
              },
              now,
            ),
          ]);
          return { packageId };
        },
      ),
    );
  };
}
