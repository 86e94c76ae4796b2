// Reserve: holds stock for a cart or checkout. Locks every level it may draw from (in a fixed order),
// plans lines across warehouses and lots under those locks, and writes the reservation, the new
// balances, the ledger and the events in one transaction. All-or-nothing unless allow_partial.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { v7 as uuidv7 } from "uuid";
import type { AllocationRow } from "../data/reservation.repo.ts";
import { insertReservationStatements } from "../data/reservation.repo.ts";
import { findLots, type LotWrite, lockLevelsForAllocation, writeStockChanges } from "../data/stock.repo.ts";
import { findActiveWarehouseRanks } from "../data/warehouse.repo.ts";
import {
  type Coordinates,
  type DemandLine,
  type LineShortage,
  planAllocation,
  type SellableStock,
  sellableKey,
} from "../domain/allocation-plan.ts";
import { allocateFefo, type LotState, unexpiredFreeUnits } from "../domain/lot-allocation.ts";
import type { ReservationView } from "../domain/reservation.ts";
import { type PaymentMethod, type ReservationTtlPolicy, ttlFor } from "../domain/reservation-ttl.ts";
import { levelKey, type StockLevelKey, sellableQuantity } from "../domain/stock-level.ts";
import { fingerprintOf, runIdempotent } from "./idempotency.ts";
import { reservationChanged } from "./reservation-events.ts";
import { planStockChanges, type StockChange } from "./stock-changes.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface ReserveCommand {
  idempotencyKey: string;
  reference: { type: string; id: string };
  lines: { sku: string; quantity: number; warehouseCode?: string | undefined }[];
  ttlMs?: number | undefined;
  paymentMethod?: PaymentMethod | undefined;
  allowPartial: boolean;
  allowSplit: boolean;
  destination?: Coordinates | undefined;
}

export interface ReserveResult {
  reservation: ReservationView | null;
  shortages: LineShortage[];
}

export function createReserveStock(deps: UseCaseDeps & { ttlPolicy: ReservationTtlPolicy }) {
  return async function reserveStock(
    command: ReserveCommand,
    context: RequestContext,
  ): Promise<ReserveResult> {
    const { idempotencyKey, ...request } = command;
    const ttlMs = ttlFor(deps.ttlPolicy, command);
    return deps
      .transaction((trx) =>
        runIdempotent<ReserveResult>(
          trx,
          { operation: "reserve", key: idempotencyKey, fingerprint: fingerprintOf(request) },
          async (answer) => {
            const now = deps.clock();
            const demand: DemandLine[] = command.lines.map((line, index) => ({
              lineNumber: index + 1,
              ...line,
            }));
            const pinned = uniqueKeys(
              demand.flatMap((l) =>
                l.warehouseCode ? [{ warehouseCode: l.warehouseCode, sku: l.sku }] : [],
              ),
            );
            const openSkus = [...new Set(demand.filter((l) => !l.warehouseCode).map((l) => l.sku))];

            const levels = await lockLevelsForAllocation(trx, pinned, openSkus);
            const lots = await findLots(trx, [...levels.values()]);
            const today = now.toISOString().slice(0, 10);
            const stock: SellableStock = new Map();
            for (const [key, level] of levels) {
              const lotFree = unexpiredFreeUnits(lots.get(key) ?? [], today);
              stock.set(
                sellableKey(level.warehouseCode, level.sku),
                Math.min(sellableQuantity(level), lotFree),
              );
            }
            // Ranking warehouses matters only for lines that name none.
            const warehouses =
              openSkus.length === 0
                ? []
                : await findActiveWarehouseRanks(trx, [
                    ...new Set([...levels.values()].map((l) => l.warehouseCode)),
                  ]);
            const plan = planAllocation(demand, warehouses, stock, command);

            if (plan.shortages.length > 0 && !command.allowPartial) throw insufficientStock(plan.shortages);
            if (plan.lines.length === 0) return { reservation: null, shortages: plan.shortages };

            // Lots per planned part, FEFO, consuming a working copy so lines of one sku share it.
            const workingLots = new Map<string, LotState[]>();
            const allocations: AllocationRow[] = [];
            const lotWrites: LotWrite[] = [];
            const changes: StockChange[] = [];
            for (const line of plan.lines) {
              for (const part of line.parts) {
                const key = levelKey({ warehouseCode: part.warehouseCode, sku: line.sku });
                const levelLots = workingLots.get(key) ?? (lots.get(key) ?? []).map((lot) => ({ ...lot }));
                workingLots.set(key, levelLots);
                const lotParts = allocateFefo(levelLots, part.quantity, today);
                if (!lotParts) throw insufficientStock(plan.shortages);
                for (const lotPart of lotParts) {
                  const lot = levelLots.find((l) => l.lotCode === lotPart.lotCode);
                  if (lot) lot.allocated += lotPart.quantity;
                  allocations.push({
                    lineNumber: line.lineNumber,
                    warehouseCode: part.warehouseCode,
                    sku: line.sku,
                    ...lotPart,
                  });
                  lotWrites.push({
                    warehouseCode: part.warehouseCode,
                    sku: line.sku,
                    lotCode: lotPart.lotCode,
                    expiresOn: null,
                    onHandDelta: 0,
                    allocatedDelta: lotPart.quantity,
                  });
                }
                changes.push({
                  key: { warehouseCode: part.warehouseCode, sku: line.sku },
                  deltas: { reserved: part.quantity },
                  reason: "reserve",
                });
              }
            }

            const reservationId = uuidv7();
            const expiresAt = new Date(now.getTime() + ttlMs);
            const lines = plan.lines.map((line) => ({
              lineNumber: line.lineNumber,
              sku: line.sku,
              quantity: line.parts.reduce((sum, part) => sum + part.quantity, 0),
              status: "held" as const,
            }));
            const reservation: ReservationView = {
              reservationId,
              referenceType: command.reference.type,
              referenceId: command.reference.id,
              orderReference: null,
              status: "active",
              expiresAt: expiresAt.toISOString(),
              createdAt: now.toISOString(),
              updatedAt: now.toISOString(),
              version: 1,
              lines: lines.map((line) => ({
                ...line,
                allocations: allocations
                  .filter((a) => a.lineNumber === line.lineNumber)
                  .map((a) => ({ warehouseCode: a.warehouseCode, lotCode: a.lotCode, quantity: a.quantity })),
              })),
            };
            const planned = planStockChanges(levels, changes, {
              eventContext: context,
              reference: { type: "reservation", id: reservationId },
              now,
              violationReason: ErrorReason.INSUFFICIENT_STOCK,
              lots: lotWrites,
              extraEvents: [reservationChanged(reservation, "ReservationCreated", "unspecified", now)],
            });
            const result: ReserveResult = { reservation, shortages: plan.shortages };
            await writeStockChanges(
              trx,
              { actor: context.actor, referenceType: "reservation", referenceId: reservationId },
              planned.writeSet,
              [
                ...insertReservationStatements({
                  reservationId,
                  referenceType: command.reference.type,
                  referenceId: command.reference.id,
                  expiresAt,
                  now,
                  lines,
                  allocations,
                }),
                answer.statement(result),
              ],
            );
            deps.metrics?.reservations.inc({ outcome: plan.shortages.length > 0 ? "partial" : "reserved" });
            return result;
          },
        ),
      )
      .catch((err: unknown) => {
        if (isInsufficient(err)) deps.metrics?.reservations.inc({ outcome: "insufficient" });
        throw err;
      });
  };
}

function uniqueKeys(keys: StockLevelKey[]): StockLevelKey[] {
  return [...new Map(keys.map((k) => [levelKey(k), k])).values()];
}

function insufficientStock(shortages: LineShortage[]) {
  const detail = shortages
    .map((s) => `line ${s.lineNumber} (${s.sku}): requested ${s.requested}, available ${s.available}`)
    .join("; ");
  const metadata: Record<string, string> = {};
  for (const s of shortages) {
    metadata[`line_${s.lineNumber}_sku`] = s.sku;
    metadata[`line_${s.lineNumber}_requested`] = String(s.requested);
    metadata[`line_${s.lineNumber}_available`] = String(s.available);
    if (s.warehouseCode) metadata[`line_${s.lineNumber}_warehouse_code`] = s.warehouseCode;
  }
  return failedPrecondition(ErrorReason.INSUFFICIENT_STOCK, `insufficient stock: ${detail}`, metadata);
}

function isInsufficient(err: unknown): boolean {
  return err instanceof Error && "reason" in err && err.reason === ErrorReason.INSUFFICIENT_STOCK;
}
