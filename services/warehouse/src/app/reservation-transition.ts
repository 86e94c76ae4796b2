// The shared core of every command on an existing reservation: lock it, check the transition, move the
// stock its allocations hold, update its state and emit its event, all in the caller's transaction.
// Racing commands on one reservation serialize on its row lock; the second sees the new status and
// fails its transition check, so stock moves exactly once.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import {
  type AllocationRow,
  findLines,
  lockReservation,
  type ReservationHeader,
  toReservationView,
  updateLineStatuses,
  updateReservationState,
} from "../data/reservation.repo.ts";
import { type Db, type LotWrite, lockStockLevels, writeStockChanges } from "../data/stock.repo.ts";
import type { MovementReason } from "../domain/movement-reason.ts";
import {
  assertCommandAllowed,
  type LineStatus,
  type ReservationCommand,
  type ReservationStatus,
  type ReservationView,
} from "../domain/reservation.ts";
import type { BucketDeltas } from "../domain/stock-level.ts";
import { type ReservationEventType, reservationChanged } from "./reservation-events.ts";
import { planStockChanges, type StockChange } from "./stock-changes.ts";
import type { RequestContext } from "./use-case-deps.ts";

// How one command moves the stock of an allocation, and its lot.
export interface StockMove {
  reason: MovementReason;
  deltas: (quantity: number) => BucketDeltas;
  lot: (quantity: number) => { onHandDelta: number; allocatedDelta: number };
}

export const STOCK_MOVES = {
  release: {
    reason: "release",
    deltas: (q) => ({ reserved: -q }),
    lot: (q) => ({ onHandDelta: 0, allocatedDelta: -q }),
  },
  expire: {
    reason: "expire",
    deltas: (q) => ({ reserved: -q }),
    lot: (q) => ({ onHandDelta: 0, allocatedDelta: -q }),
  },
  confirm: {
    reason: "confirm",
    deltas: (q) => ({ reserved: -q, committed: q }),
    lot: () => ({ onHandDelta: 0, allocatedDelta: 0 }),
  },
  cancel: {
    reason: "cancel",
    deltas: (q) => ({ committed: -q }),
    lot: (q) => ({ onHandDelta: 0, allocatedDelta: -q }),
  },
  ship: {
    reason: "ship",
    deltas: (q) => ({ committed: -q, onHand: -q }),
    lot: (q) => ({ onHandDelta: -q, allocatedDelta: -q }),
  },
} satisfies Record<string, StockMove>;

export interface TransitionSpec {
  command: ReservationCommand;
  eventType: ReservationEventType;
  // Lines that move, their status before and after; empty for commands that move no stock (extend).
  lines: (all: { lineNumber: number; status: LineStatus }[]) => number[];
  lineFrom: LineStatus;
  lineTo: LineStatus;
  move: StockMove | null;
  // The reservation's status and expiry after the command.
  next: (
    header: ReservationHeader,
    lineStatusesAfter: LineStatus[],
  ) => { status: ReservationStatus; expiresAt: Date | null };
  orderReference?: string | null;
}

export async function loadReservationForCommand(
  trx: Db,
  reservationId: string,
  command: ReservationCommand,
  now: Date,
): Promise<ReservationHeader> {
  const header = await lockReservation(trx, reservationId);
  if (!header) {
    throw notFound(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${reservationId} does not exist`, {
      reservation_id: reservationId,
    });
  }
  assertCommandAllowed(header, command, now);
  return header;
}

export async function transitionReservation(
  trx: Db,
  header: ReservationHeader,
  spec: TransitionSpec,
  context: RequestContext,
  now: Date,
): Promise<ReservationView> {
  const { lines, allocations } = await findLines(trx, header.reservationId);
  const moving = new Set(spec.lines(lines.filter((line) => line.status === spec.lineFrom)));
  if (spec.move && moving.size === 0) {
    throw failedPrecondition(
      ErrorReason.INVALID_STATE_TRANSITION,
      `reservation ${header.reservationId} has no ${spec.lineFrom} lines to ${spec.command}`,
    );
  }
  const moved = allocations.filter((a) => moving.has(a.lineNumber));
  const linesAfter = lines.map((line) => ({
    ...line,
    status: moving.has(line.lineNumber) ? spec.lineTo : line.status,
  }));
  const next = spec.next(
    header,
    linesAfter.map((line) => line.status),
  );

  const updated = await updateReservationState(trx, {
    reservationId: header.reservationId,
    expectedStatus: header.status,
    status: next.status,
    expiresAt: next.expiresAt,
    orderReference: spec.orderReference ?? null,
    now,
  });
  if (moving.size > 0)
    await updateLineStatuses(trx, header.reservationId, [...moving], spec.lineFrom, spec.lineTo);
  const view = toReservationView(updated, linesAfter, allocations);
  const event = reservationChanged(view, spec.eventType, header.status, now);

  const move = spec.move;
  const levels = move ? await lockStockLevels(trx, moved) : new Map();
  const planned = planStockChanges(levels, move ? stockChanges(moved, move) : [], {
    eventContext: context,
    reference: { type: "reservation", id: header.reservationId },
    now,
    lots: move ? lotWrites(moved, move) : [],
    extraEvents: [event],
  });
  await writeStockChanges(
    trx,
    { actor: context.actor, referenceType: "reservation", referenceId: header.reservationId },
    planned.writeSet,
  );
  return view;
}

function stockChanges(allocations: AllocationRow[], move: StockMove): StockChange[] {
  return allocations.map((a) => ({
    key: { warehouseCode: a.warehouseCode, sku: a.sku },
    deltas: move.deltas(a.quantity),
    reason: move.reason,
    lotCode: a.lotCode,
  }));
}

function lotWrites(allocations: AllocationRow[], move: StockMove): LotWrite[] {
  return allocations.flatMap((a) => {
    const lot = move.lot(a.quantity);
    if (lot.onHandDelta === 0 && lot.allocatedDelta === 0) return [];
    return [{ warehouseCode: a.warehouseCode, sku: a.sku, lotCode: a.lotCode, expiresOn: null, ...lot }];
  });
}
