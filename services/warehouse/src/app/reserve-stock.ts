// Reserve: holds stock for a cart or checkout. Concurrent requests are batched (request-batcher.ts):
// one transaction claims their idempotency keys and locks every level they may draw from (in a fixed
// order) in one statement (reserve.repo.ts), plans each request in turn against what the earlier ones
// left (across warehouses, FEFO over lots), and writes every reservation, balance, ledger row and event
// in a second one. Each request is
// all-or-nothing unless allow_partial; one request's shortage never fails the others in its batch.
//
// A caller that goes (cancels, or its deadline passes) never fails its batch for the others. Still
// queued, its request is dropped unrun; in a batch that has not planned it yet (the batch waits for its
// locks first), it is skipped and its idempotency claim released: no stock moves for it. Once planned,
// its reservation commits with the batch although nobody hears the answer. It does not leak: the answer
// is stored under the caller's idempotency key, so a retry with that key replays the same reservation
// (and holds no more stock); a caller that never retries leaves an active reservation that the expiry
// sweeper releases at its TTL, as for any abandoned cart. A batch whose callers have all gone is
// cancelled (its transaction's statements too); its deadline is the latest of its callers'.
import { type CallLimits, ErrorReason, failedPrecondition, stopReasonOf } from "@stockroom/errors";
import {
  fingerprintOf,
  IDEMPOTENCY_RETENTION_HOURS,
  type IdempotencyScope,
  idempotencyKeyReused,
  releaseClaimsStatement,
  scopedKeyOf,
  storeResponsesStatement,
} from "@stockroom/idempotency";
import { type OutboxRow, toOutboxRow } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
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
  type MovementContext,
  type StockLevelRow,
  writeStockChanges,
} from "../data/stock.repo.ts";
import {
  type Coordinates,
  type DemandLine,
  type LineShortage,
  type PlannedLine,
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

// How concurrent reserves are batched (the defaults and their reasons: config.ts).
export interface ReserveBatching {
  maxBatch: number;
  // Batches in flight at once (each holds one pooled connection).
  concurrency: number;
  lingerMs?: number;
}

interface ReserveRequest {
  command: ReserveCommand;
  context: RequestContext;
  fingerprint: string;
  // Its idempotency key, scoped to the caller, and that as one string.
  scope: IdempotencyScope;
  scopedKey: string;
  ttlMs: number;
  // What its batch's transaction locks for it: every level of each sku it names (a line without a
  // warehouse may draw from any), and its idempotency record.
  locks: string[];
}

function locksOf(command: ReserveCommand, scopedKey: string): string[] {
  return [`key:${scopedKey}`, ...new Set(command.lines.map((line) => `sku:${line.sku}`))];
}

export function reserveStockUseCase(
  deps: UseCaseDeps & { ttlPolicy: ReservationTtlPolicy; batching: ReserveBatching },
) {
  const batcher = createRequestBatcher<ReserveRequest, ReserveResult>({
    ...deps.batching,
    run: async (requests, limits) => {
      const stopTimer = deps.metrics?.reserveBatchSeconds.startTimer();
      try {
        return await reserveBatch(deps, requests, limits);
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
    const scope = { principal: context.principal, key: command.idempotencyKey };
    const scopedKey = scopedKeyOf(scope);
    try {
      const result = await batcher.submit(
        {
          command,
          context,
          fingerprint: fingerprintOf(request),
          scope,
          scopedKey,
          ttlMs: ttlFor(deps.ttlPolicy, command),
          locks: locksOf(command, scopedKey),
        },
        context,
      );
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
  limits: CallLimits,
): Promise<BatchOutcome<ReserveResult>[]> {
  // A caller's key twice in one batch: the later request waits for the next batch and replays the
  // first's answer.
  const seen = new Set<string>();
  const outcomes: BatchOutcome<ReserveResult>[] = requests.map((request) => {
    if (seen.has(request.scopedKey)) return { ok: false, retry: true };
    seen.add(request.scopedKey);
    return { ok: false, error: NOT_RUN };
  });
  const runnable = requests.flatMap((_request, index) => ("retry" in (outcomes[index] ?? {}) ? [] : [index]));
  const computed = await deps.transaction(
    (trx) =>
      reserveInTransaction(
        trx,
        deps.clock(),
        runnable.map((index) => requests[index] as ReserveRequest),
      ),
    limits,
  );
  runnable.forEach((index, i) => {
    outcomes[index] = computed[i] as BatchOutcome<ReserveResult>;
  });
  return outcomes;
}

// One batch's transaction: claims its keys and locks its stock in one read, answers the requests whose
// keys were already answered, plans the others in turn and writes what they reserved in one statement.
async function reserveInTransaction(
  trx: Db,
  now: Date,
  requests: ReserveRequest[],
): Promise<BatchOutcome<ReserveResult>[]> {
  const demands = requests.map(demandOf);
  const allDemand = demands.flat();
  const { claims, levels, lots, warehouses } = await readForReserve(trx, {
    operation: OPERATION,
    retentionHours: IDEMPOTENCY_RETENTION_HOURS,
    claims: requests.map((r) => ({ ...r.scope, fingerprint: r.fingerprint })),
    pinned: pinnedLevels(allDemand),
    openSkus: openSkus(allDemand),
  });
  const outcomes: BatchOutcome<ReserveResult>[] = requests.map((request) => {
    const claim = claims.get(request.scopedKey);
    if (claim === undefined) return { ok: false, retry: true };
    if (claim.status === "claimed") return { ok: false, error: NOT_PLANNED };
    if (claim.fingerprint !== request.fingerprint)
      return { ok: false, error: idempotencyKeyReused(OPERATION, request.command.idempotencyKey) };
    return { ok: true, value: claim.response as ReserveResult };
  });
  const toPlan = requests.flatMap((request, index) =>
    claims.get(request.scopedKey)?.status === "claimed" ? [index] : [],
  );
  if (toPlan.length === 0) return outcomes;

  const working = workingStock(levels, lots, warehouses, now);
  const writes = planBatch(requests, demands, toPlan, working, now, outcomes);
  await writeBatch(trx, now, requests[toPlan[0] as number] as ReserveRequest, levels, writes);
  return outcomes;
}

// Levels a line names by its warehouse, each once.
function pinnedLevels(demand: DemandLine[]): StockLevelKey[] {
  return uniqueKeys(
    demand.flatMap((l) => (l.warehouseCode ? [{ warehouseCode: l.warehouseCode, sku: l.sku }] : [])),
  );
}

// Skus of the lines that may draw from any warehouse, each once.
function openSkus(demand: DemandLine[]): string[] {
  return [...new Set(demand.filter((l) => !l.warehouseCode).map((l) => l.sku))];
}

// What a batch writes, gathered from the plans of its requests.
interface BatchWrites {
  changes: StockChange[];
  lotWrites: LotWrite[];
  reservations: NewReservation[];
  reservationEvents: OutboxRow[];
  answers: (IdempotencyScope & { response: ReserveResult })[];
  failedKeys: IdempotencyScope[];
}

// Plans the requests at `toPlan` one after another against the working stock (each takes from what the
// earlier ones left), sets their outcomes and gathers what they write.
function planBatch(
  requests: ReserveRequest[],
  demands: DemandLine[][],
  toPlan: number[],
  working: WorkingStock,
  now: Date,
  outcomes: BatchOutcome<ReserveResult>[],
): BatchWrites {
  const writes: BatchWrites = {
    changes: [],
    lotWrites: [],
    reservations: [],
    reservationEvents: [],
    answers: [],
    failedKeys: [],
  };
  for (const index of toPlan) {
    const request = requests[index] as ReserveRequest;
    // Its caller went while the batch waited for its locks: nothing is reserved for it.
    const gone = stopReasonOf(request.context);
    if (gone !== undefined) {
      outcomes[index] = { ok: false, error: gone };
      writes.failedKeys.push(request.scope);
      continue;
    }
    const planned = planRequest(request, demands[index] ?? [], working, now);
    if (!planned.ok) {
      outcomes[index] = { ok: false, error: planned.error };
      writes.failedKeys.push(request.scope);
      continue;
    }
    outcomes[index] = { ok: true, value: planned.result };
    writes.answers.push({ ...request.scope, response: planned.result });
    if (!planned.reservation) continue;
    writes.changes.push(...planned.changes);
    writes.lotWrites.push(...planned.lotWrites);
    writes.reservations.push(planned.reservation);
    const view = planned.result.reservation as ReservationView;
    writes.reservationEvents.push(
      toOutboxRow(request.context, reservationChanged(view, "ReservationCreated", "unspecified", now)),
    );
  }
  return writes;
}

// The batch's one write: balances, lots, ledger rows and events, with the reservation rows, the stored
// answers and the released claims of refused requests alongside.
async function writeBatch(
  trx: Db,
  now: Date,
  first: ReserveRequest,
  levels: Map<string, StockLevelRow>,
  writes: BatchWrites,
): Promise<void> {
  const { reservations, answers, failedKeys } = writes;
  const stock = planStockChanges(levels, writes.changes, {
    eventContext: first.context,
    reference: { type: "reservation", id: reservations.at(-1)?.reservationId ?? "" },
    now,
    violationReason: ErrorReason.INSUFFICIENT_STOCK,
    lots: writes.lotWrites,
  });
  stock.writeSet.outbox.push(...writes.reservationEvents);
  await writeStockChanges(
    trx,
    { actor: first.context.actor, referenceType: "reservation", referenceId: "" },
    stock.writeSet,
    [
      ...(reservations.length > 0 ? insertReservationStatements(reservations) : []),
      ...(answers.length > 0 ? [storeResponsesStatement(OPERATION, answers)] : []),
      ...(failedKeys.length > 0 ? [releaseClaimsStatement(OPERATION, failedKeys)] : []),
    ],
  );
}

// The stock a batch plans against: what is still free per (warehouse, sku) and in each lot as its
// requests take from it, the warehouses' ranks, and the day lots expire against.
interface WorkingStock {
  sellable: SellableStock;
  lots: Map<string, LotState[]>;
  warehouses: WarehouseRank[];
  today: string;
}

function workingStock(
  levels: Map<string, StockLevelRow>,
  lots: Map<string, LotRow[]>,
  warehouses: WarehouseRank[],
  now: Date,
): WorkingStock {
  const today = now.toISOString().slice(0, 10);
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
  return { sellable, lots: workingLots, warehouses, today };
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
  now: Date,
): PlannedRequest {
  const { command, context } = request;
  const plan = planAllocation(demand, working.warehouses, working.sellable, command);
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
  // FEFO on copies first, so a request that cannot be served leaves the working stock untouched.
  const scratch = new Map<string, LotState[]>();
  const allocations = drawFromLots(plan.lines, working, scratch);
  if (!allocations) return { ok: false, error: insufficientStock(plan.shortages) };
  takeFromWorking(plan.lines, working, scratch);

  const reservation: NewReservation = {
    reservationId,
    referenceType: command.reference.type,
    referenceId: command.reference.id,
    expiresAt: new Date(now.getTime() + request.ttlMs),
    now,
    lines: heldLines(plan.lines),
    allocations,
  };
  const origin = { actor: context.actor, referenceType: "reservation", referenceId: reservationId };
  return {
    ok: true,
    result: { reservation: reservationView(reservation), shortages: plan.shortages },
    reservation,
    changes: reserveChanges(allocations, origin),
    lotWrites: lotWritesOf(allocations),
  };
}

// Draws each part of the plan from its level's lots, first expiring first, on copies kept in `scratch`.
// Undefined when some part's unexpired lots cannot cover it.
function drawFromLots(
  lines: PlannedLine[],
  working: WorkingStock,
  scratch: Map<string, LotState[]>,
): AllocationRow[] | undefined {
  const allocations: AllocationRow[] = [];
  for (const line of lines) {
    for (const part of line.parts) {
      const key = levelKey({ warehouseCode: part.warehouseCode, sku: line.sku });
      const levelLots = scratch.get(key) ?? (working.lots.get(key) ?? []).map((lot) => ({ ...lot }));
      scratch.set(key, levelLots);
      const lotParts = allocateFefo(levelLots, part.quantity, working.today);
      if (!lotParts) return undefined;
      for (const lotPart of lotParts) {
        const lot = levelLots.find((l) => l.lotCode === lotPart.lotCode);
        if (lot) lot.allocated += lotPart.quantity;
        allocations.push({
          lineNumber: line.lineNumber,
          warehouseCode: part.warehouseCode,
          sku: line.sku,
          ...lotPart,
        });
      }
    }
  }
  return allocations;
}

// Makes a served request's draw the batch's: its lot copies replace the working lots, and its units
// leave the sellable stock.
function takeFromWorking(lines: PlannedLine[], working: WorkingStock, scratch: Map<string, LotState[]>) {
  for (const [key, levelLots] of scratch) working.lots.set(key, levelLots);
  for (const line of lines) {
    for (const part of line.parts) {
      const key = sellableKey(part.warehouseCode, line.sku);
      working.sellable.set(key, (working.sellable.get(key) ?? 0) - part.quantity);
    }
  }
}

function heldLines(lines: PlannedLine[]): NewReservation["lines"] {
  return lines.map((line) => ({
    lineNumber: line.lineNumber,
    sku: line.sku,
    quantity: line.parts.reduce((sum, part) => sum + part.quantity, 0),
    status: "held" as const,
  }));
}

function reservationView(reservation: NewReservation): ReservationView {
  return {
    reservationId: reservation.reservationId,
    referenceType: reservation.referenceType,
    referenceId: reservation.referenceId,
    orderReference: null,
    status: "active",
    expiresAt: reservation.expiresAt.toISOString(),
    createdAt: reservation.now.toISOString(),
    updatedAt: reservation.now.toISOString(),
    version: 1,
    lines: reservation.lines.map((line) => ({
      ...line,
      allocations: reservation.allocations
        .filter((a) => a.lineNumber === line.lineNumber)
        .map((a) => ({ warehouseCode: a.warehouseCode, lotCode: a.lotCode, quantity: a.quantity })),
    })),
  };
}

// One ledger row per lot, like release/confirm/ship, so a lot's history can be rebuilt.
function reserveChanges(allocations: AllocationRow[], origin: MovementContext): StockChange[] {
  const changes: StockChange[] = [];
  for (const a of allocations) {
    changes.push({
      key: { warehouseCode: a.warehouseCode, sku: a.sku },
      deltas: { reserved: a.quantity },
      reason: "reserve",
      lotCode: a.lotCode,
      origin,
    });
  }
  return changes;
}

function lotWritesOf(allocations: AllocationRow[]): LotWrite[] {
  const lotWrites: LotWrite[] = [];
  for (const a of allocations) {
    lotWrites.push({
      warehouseCode: a.warehouseCode,
      sku: a.sku,
      lotCode: a.lotCode,
      expiresOn: null,
      onHandDelta: 0,
      allocatedDelta: a.quantity,
    });
  }
  return lotWrites;
}

function demandOf(request: ReserveRequest): DemandLine[] {
  return request.command.lines.map((line, index) => ({ lineNumber: index + 1, ...line }));
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
