// Reserve: holds stock for a cart or checkout. Concurrent requests are batched (request-batcher.ts):
// one transaction claims their idempotency keys and locks every level they may draw from (in a fixed
// order) in one statement (reserve.repo.ts), plans each request in turn against what the earlier ones
// left (across warehouses, FEFO over lots), and writes every reservation, balance, ledger row and event
// in a second one. Each request is
// all-or-nothing unless allow_partial; one request's shortage never fails the others in its batch.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { type OutboxRow, toOutboxRow } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import {
  releaseIdempotencyClaimsStatement,
  storeIdempotentResponsesStatement,
} from "../data/idempotency.repo.ts";
import {
  type AllocationRow,
  insertReservationStatements,
  type NewReservation,
} from "../data/reservation.repo.ts";
import { readForReserve } from "../data/reserve.repo.ts";
import {
  type Db,
  type LotRow,
  type LotWrite,
  type StockLevelRow,
  writeStockChanges,
} from "../data/stock.repo.ts";
import {
  type Coordinates,
  type DemandLine,
  type LineShortage,
  planAllocation,
  type SellableStock,
  sellableKey,
  type WarehouseRank,
} from "../domain/allocation-plan.ts";
import { allocateFefo, type LotState, unexpiredFreeUnits } from "../domain/lot-allocation.ts";
import type { ReservationView } from "../domain/reservation.ts";
import { type PaymentMethod, type ReservationTtlPolicy, ttlFor } from "../domain/reservation-ttl.ts";
import { levelKey, type StockLevelKey, sellableQuantity } from "../domain/stock-level.ts";
import { requireWarehouse } from "./admin/warehouses.ts";
import { fingerprintOf, IDEMPOTENCY_RETENTION_HOURS } from "./idempotency.ts";
import { type BatchOutcome, createRequestBatcher } from "./request-batcher.ts";
import { reservationChanged } from "./reservation-events.ts";
import { planStockChanges, type StockChange } from "./stock-changes.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

const OPERATION = "reserve";

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

export interface ReserveBatching {
  maxBatch: number;
  // Batches in flight at once (each holds one pooled connection).
  concurrency: number;
  lingerMs?: number;
}

// One batch in flight measured best on a 2-core machine for both one hot sku and 10,000 spread skus
// (npm run bench:warehouse); raise the concurrency where the database has cores to spare. A batch beside
// a running one takes only requests for other skus, so one hot sku stays one batch at a time: with 2,
// hot ran as fast as with 1, and spread within noise (4 A/B pairs: +4, +1, +4, -5 %) at 5-10 % more CPU
// per reservation, its batches of ~22 requests instead of ~33. Lingering
// 8 ms after a large batch measured hot 896 vs 801/s and spread 786 vs 766/s (2 runs each, 64 clients).
export const DEFAULT_RESERVE_BATCHING: ReserveBatching = { maxBatch: 64, concurrency: 1, lingerMs: 8 };

interface ReserveRequest {
  command: ReserveCommand;
  context: RequestContext;
  fingerprint: string;
  ttlMs: number;
  // What its batch's transaction locks for it: every level of each sku it names (a line without a
  // warehouse may draw from any), and its idempotency record.
  locks: string[];
}

function locksOf(command: ReserveCommand): string[] {
  return [`key:${command.idempotencyKey}`, ...new Set(command.lines.map((line) => `sku:${line.sku}`))];
}

export function createReserveStock(
  deps: UseCaseDeps & { ttlPolicy: ReservationTtlPolicy; batching?: ReserveBatching },
) {
  const batching = deps.batching ?? DEFAULT_RESERVE_BATCHING;
  const batcher = createRequestBatcher<ReserveRequest, ReserveResult>({
    ...batching,
    run: async (requests) => {
      const stopTimer = deps.metrics?.reserveBatchSeconds.startTimer();
      try {
        return await reserveBatch(deps, requests);
      } finally {
        stopTimer?.();
      }
    },
    onBatch: (size) => deps.metrics?.reserveBatchSize.observe(size),
    conflictKeys: (request) => request.locks,
  });
  return async function reserveStock(
    command: ReserveCommand,
    context: RequestContext,
  ): Promise<ReserveResult> {
    const { idempotencyKey: _key, ...request } = command;
    try {
      const result = await batcher.submit({
        command,
        context,
        fingerprint: fingerprintOf(request),
        ttlMs: ttlFor(deps.ttlPolicy, command),
        locks: locksOf(command),
      });
      deps.metrics?.reservations.inc({ outcome: result.shortages.length > 0 ? "partial" : "reserved" });
      return result;
    } catch (err) {
      if (isInsufficient(err)) {
        // A warehouse that does not exist reads as no stock in the batch; told apart here, on the
        // failure path only, so the batch's reads stay as they are.
        await refuseUnknownWarehouses(deps, command);
        deps.metrics?.reservations.inc({ outcome: "insufficient" });
      }
      throw err;
    }
  };
}

async function refuseUnknownWarehouses(deps: UseCaseDeps, command: ReserveCommand): Promise<void> {
  const named = new Set(command.lines.flatMap((line) => (line.warehouseCode ? [line.warehouseCode] : [])));
  for (const code of named) await requireWarehouse(deps, code);
}

// Placeholders for outcomes a batch fills in later, never answered as such: shared, because an Error per
// request (its stack captured) cost as much as planning that request.
const NOT_RUN = new Error("reserve batch: request not run");
const NOT_PLANNED = new Error("reserve batch: request not planned");

async function reserveBatch(
  deps: UseCaseDeps,
  requests: ReserveRequest[],
): Promise<BatchOutcome<ReserveResult>[]> {
  // A key twice in one batch: the later request waits for the next batch and replays the first's answer.
  const seen = new Set<string>();
  const outcomes: BatchOutcome<ReserveResult>[] = requests.map((request) => {
    if (seen.has(request.command.idempotencyKey)) return { ok: false, retry: true };
    seen.add(request.command.idempotencyKey);
    return { ok: false, error: NOT_RUN };
  });
  const runnable = requests.flatMap((_request, index) => ("retry" in (outcomes[index] ?? {}) ? [] : [index]));
  const computed = await deps.transaction((trx) =>
    reserveInTransaction(
      trx,
      deps.clock(),
      runnable.map((index) => requests[index] as ReserveRequest),
    ),
  );
  runnable.forEach((index, i) => {
    outcomes[index] = computed[i] as BatchOutcome<ReserveResult>;
  });
  return outcomes;
}

async function reserveInTransaction(
  trx: Db,
  now: Date,
  requests: ReserveRequest[],
): Promise<BatchOutcome<ReserveResult>[]> {
  const demands = requests.map(demandOf);
  const allDemand = demands.flat();
  const pinned = uniqueKeys(
    allDemand.flatMap((l) => (l.warehouseCode ? [{ warehouseCode: l.warehouseCode, sku: l.sku }] : [])),
  );
  const openSkus = [...new Set(allDemand.filter((l) => !l.warehouseCode).map((l) => l.sku))];
  const { claims, levels, lots, warehouses } = await readForReserve(trx, {
    operation: OPERATION,
    retentionHours: IDEMPOTENCY_RETENTION_HOURS,
    claims: requests.map((r) => ({ key: r.command.idempotencyKey, fingerprint: r.fingerprint })),
    pinned,
    openSkus,
  });
  const outcomes: BatchOutcome<ReserveResult>[] = requests.map((request) => {
    const claim = claims.get(request.command.idempotencyKey);
    if (claim === undefined) return { ok: false, retry: true };
    if (claim.status === "claimed") return { ok: false, error: NOT_PLANNED };
    if (claim.fingerprint !== request.fingerprint)
      return { ok: false, error: keyReused(request.command.idempotencyKey) };
    return { ok: true, value: claim.response as ReserveResult };
  });
  const toPlan = requests.flatMap((request, index) =>
    claims.get(request.command.idempotencyKey)?.status === "claimed" ? [index] : [],
  );
  if (toPlan.length === 0) return outcomes;

  const today = now.toISOString().slice(0, 10);
  const working = workingStock(levels, lots, today);

  const changes: StockChange[] = [];
  const lotWrites: LotWrite[] = [];
  const reservations: NewReservation[] = [];
  const reservationEvents: OutboxRow[] = [];
  const answers: { key: string; response: ReserveResult }[] = [];
  const failedKeys: string[] = [];
  for (const index of toPlan) {
    const request = requests[index] as ReserveRequest;
    const planned = planRequest(request, demands[index] ?? [], working, warehouses, today, now);
    if (!planned.ok) {
      outcomes[index] = { ok: false, error: planned.error };
      failedKeys.push(request.command.idempotencyKey);
      continue;
    }
    outcomes[index] = { ok: true, value: planned.result };
    answers.push({ key: request.command.idempotencyKey, response: planned.result });
    if (!planned.reservation) continue;
    changes.push(...planned.changes);
    lotWrites.push(...planned.lotWrites);
    reservations.push(planned.reservation);
    const view = planned.result.reservation as ReservationView;
    reservationEvents.push(
      toOutboxRow(request.context, reservationChanged(view, "ReservationCreated", "unspecified", now)),
    );
  }

  const first = requests[toPlan[0] as number] as ReserveRequest;
  const stock = planStockChanges(levels, changes, {
    eventContext: first.context,
    reference: { type: "reservation", id: reservations.at(-1)?.reservationId ?? "" },
    now,
    violationReason: ErrorReason.INSUFFICIENT_STOCK,
    lots: lotWrites,
  });
  stock.writeSet.outbox.push(...reservationEvents);
  await writeStockChanges(
    trx,
    { actor: first.context.actor, referenceType: "reservation", referenceId: "" },
    stock.writeSet,
    [
      ...(reservations.length > 0 ? insertReservationStatements(reservations) : []),
      ...(answers.length > 0 ? [storeIdempotentResponsesStatement(OPERATION, answers)] : []),
      ...(failedKeys.length > 0 ? [releaseIdempotencyClaimsStatement(OPERATION, failedKeys)] : []),
    ],
  );
  return outcomes;
}

// What is still free per (warehouse, sku) and in each lot, as the batch's requests take from it.
interface WorkingStock {
  sellable: SellableStock;
  lots: Map<string, LotState[]>;
}

function workingStock(
  levels: Map<string, StockLevelRow>,
  lots: Map<string, LotRow[]>,
  today: string,
): WorkingStock {
  const sellable: SellableStock = new Map();
  const workingLots = new Map<string, LotState[]>();
  for (const [key, level] of levels) {
    const levelLots = (lots.get(key) ?? []).map((lot) => ({ ...lot }));
    workingLots.set(key, levelLots);
    sellable.set(
      sellableKey(level.warehouseCode, level.sku),
      Math.min(sellableQuantity(level), unexpiredFreeUnits(levelLots, today)),
    );
  }
  return { sellable, lots: workingLots };
}

type PlannedRequest =
  | { ok: false; error: unknown }
  | {
      ok: true;
      result: ReserveResult;
      reservation: NewReservation | null;
      changes: StockChange[];
      lotWrites: LotWrite[];
    };

// Plans one request against the working stock and, when it succeeds, takes its units from it.
function planRequest(
  request: ReserveRequest,
  demand: DemandLine[],
  working: WorkingStock,
  warehouses: WarehouseRank[],
  today: string,
  now: Date,
): PlannedRequest {
  const { command, context } = request;
  const plan = planAllocation(demand, warehouses, working.sellable, command);
  if (plan.shortages.length > 0 && !command.allowPartial)
    return { ok: false, error: insufficientStock(plan.shortages) };
  if (plan.lines.length === 0) {
    return {
      ok: true,
      result: { reservation: null, shortages: plan.shortages },
      reservation: null,
      changes: [],
      lotWrites: [],
    };
  }

  const reservationId = uuidv7();
  const origin = { actor: context.actor, referenceType: "reservation", referenceId: reservationId };
  // FEFO on copies first, so a request that cannot be served leaves the working stock untouched.
  const scratch = new Map<string, LotState[]>();
  const allocations: AllocationRow[] = [];
  const lotWrites: LotWrite[] = [];
  const changes: StockChange[] = [];
  for (const line of plan.lines) {
    for (const part of line.parts) {
      const key = levelKey({ warehouseCode: part.warehouseCode, sku: line.sku });
      const levelLots = scratch.get(key) ?? (working.lots.get(key) ?? []).map((lot) => ({ ...lot }));
      scratch.set(key, levelLots);
      const lotParts = allocateFefo(levelLots, part.quantity, today);
      if (!lotParts) return { ok: false, error: insufficientStock(plan.shortages) };
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
        // One ledger row per lot, like release/confirm/ship, so a lot's history can be rebuilt.
        changes.push({
          key: { warehouseCode: part.warehouseCode, sku: line.sku },
          deltas: { reserved: lotPart.quantity },
          reason: "reserve",
          lotCode: lotPart.lotCode,
          origin,
        });
      }
    }
  }
  for (const [key, levelLots] of scratch) working.lots.set(key, levelLots);
  for (const line of plan.lines) {
    for (const part of line.parts) {
      const key = sellableKey(part.warehouseCode, line.sku);
      working.sellable.set(key, (working.sellable.get(key) ?? 0) - part.quantity);
    }
  }

  const expiresAt = new Date(now.getTime() + request.ttlMs);
  const lines = plan.lines.map((line) => ({
    lineNumber: line.lineNumber,
    sku: line.sku,
    quantity: line.parts.reduce((sum, part) => sum + part.quantity, 0),
    status: "held" as const,
  }));
  const view: ReservationView = {
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
  return {
    ok: true,
    result: { reservation: view, shortages: plan.shortages },
    reservation: {
      reservationId,
      referenceType: command.reference.type,
      referenceId: command.reference.id,
      expiresAt,
      now,
      lines,
      allocations,
    },
    changes,
    lotWrites,
  };
}

function demandOf(request: ReserveRequest): DemandLine[] {
  return request.command.lines.map((line, index) => ({ lineNumber: index + 1, ...line }));
}

function uniqueKeys(keys: StockLevelKey[]): StockLevelKey[] {
  return [...new Map(keys.map((k) => [levelKey(k), k])).values()];
}

function keyReused(key: string) {
  return failedPrecondition(
    ErrorReason.IDEMPOTENCY_KEY_REUSED,
    `idempotency_key ${key} was already used for a different ${OPERATION} request`,
    { field: "idempotency_key" },
  );
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
  const violations = shortages.map((s) => ({
    type: "INSUFFICIENT_STOCK",
    subject: s.warehouseCode ? `warehouse/${s.warehouseCode}/sku/${s.sku}` : `sku/${s.sku}`,
    description: `line ${s.lineNumber}: requested ${s.requested}, available ${s.available}`,
  }));
  return failedPrecondition(
    ErrorReason.INSUFFICIENT_STOCK,
    `insufficient stock: ${detail}`,
    metadata,
    violations,
  );
}

function isInsufficient(err: unknown): boolean {
  return err instanceof Error && "reason" in err && err.reason === ErrorReason.INSUFFICIENT_STOCK;
}
