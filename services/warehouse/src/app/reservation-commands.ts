// Extend, release, confirm, cancel and ship: each is a transition spec run by transitionReservation,
// behind an idempotency key. Expiry by the sweeper uses the same spec as release (expire-reservations.ts).
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import type { ReservationView } from "../domain/reservation.ts";
import type { ReservationTtlPolicy } from "../domain/reservation-ttl.ts";
import {
  loadReservationForCommand,
  STOCK_MOVES,
  type TransitionSpec,
  transitionReservation,
} from "./reservation-transition.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

interface CommandBase {
  idempotencyKey: string;
  reservationId: string;
}

const allLines = (lines: { lineNumber: number }[]) => lines.map((line) => line.lineNumber);

export const RELEASE: TransitionSpec = {
  command: "release",
  eventType: "ReservationReleased",
  lines: allLines,
  lineFrom: "held",
  lineTo: "released",
  move: STOCK_MOVES.release,
  next: () => ({ status: "released", expiresAt: null }),
};

export const EXPIRE: TransitionSpec = {
  ...RELEASE,
  command: "expire",
  eventType: "ReservationExpired",
  move: STOCK_MOVES.expire,
  next: () => ({ status: "expired", expiresAt: null }),
};

const CONFIRM: TransitionSpec = {
  command: "confirm",
  eventType: "ReservationConfirmed",
  lines: allLines,
  lineFrom: "held",
  lineTo: "committed",
  move: STOCK_MOVES.confirm,
  next: () => ({ status: "confirmed", expiresAt: null }),
};

const CANCEL: TransitionSpec = {
  command: "cancel",
  eventType: "ReservationCancelled",
  lines: allLines,
  lineFrom: "committed",
  lineTo: "released",
  move: STOCK_MOVES.cancel,
  next: (_header, after) => ({
    status: after.includes("shipped") ? "shipped" : "cancelled",
    expiresAt: null,
  }),
};

function runCommand<C extends CommandBase>(
  deps: UseCaseDeps,
  operation: string,
  spec: (command: C, now: Date) => TransitionSpec,
) {
  return async (command: C, context: RequestContext): Promise<ReservationView> => {
    const { idempotencyKey, ...request } = command;
    const outcome = await deps
      .transaction(
        (trx) =>
          runIdempotent(
            trx,
            {
              principal: context.principal,
              operation,
              key: idempotencyKey,
              fingerprint: fingerprintOf(request),
            },
            async () => {
              const now = deps.clock();
              const transition = spec(command, now);
              const header = await loadReservationForCommand(
                trx,
                command.reservationId,
                transition.command,
                now,
              );
              return transitionReservation(trx, header, transition, context, now);
            },
          ),
        context,
      )
      .catch((err: unknown) => {
        deps.metrics?.transitions.inc({ command: operation, outcome: "refused" });
        throw err;
      });
    deps.metrics?.transitions.inc({ command: operation, outcome: "applied" });
    return outcome;
  };
}

export function releaseReservationUseCase(deps: UseCaseDeps) {
  return runCommand<CommandBase & { reason: string }>(deps, "release", () => RELEASE);
}

export function confirmReservationUseCase(deps: UseCaseDeps) {
  return runCommand<CommandBase & { orderReference: string | null }>(deps, "confirm", (command) => ({
    ...CONFIRM,
    orderReference: command.orderReference,
  }));
}

export function cancelReservationUseCase(deps: UseCaseDeps) {
  return runCommand<CommandBase & { reason: string }>(deps, "cancel", () => CANCEL);
}

export function shipReservationUseCase(deps: UseCaseDeps) {
  return runCommand<CommandBase & { lineNumbers: number[]; shipmentId: string }>(deps, "ship", (command) => ({
    command: "ship",
    eventType: "ReservationShipped",
    lines: (committed) => {
      if (command.lineNumbers.length === 0) return allLines(committed);
      const open = new Set(allLines(committed));
      const missing = command.lineNumbers.filter((n) => !open.has(n));
      // Well-formed numbers (the handler checked them) that this reservation's state refuses: lines it
      // has not, or has already shipped or released.
      if (missing.length > 0) {
        throw failedPrecondition(
          ErrorReason.INVALID_STATE_TRANSITION,
          `line_numbers ${missing.join(", ")} are not committed lines of reservation ${command.reservationId}`,
          { reservation_id: command.reservationId, line_numbers: missing.join(",") },
        );
      }
      return command.lineNumbers;
    },
    lineFrom: "committed",
    lineTo: "shipped",
    move: STOCK_MOVES.ship,
    // Shipped once every line has left (shipped) or was given back (released).
    next: (_header, after) => ({
      status: after.every((s) => s === "shipped" || s === "released") ? "shipped" : "confirmed",
      expiresAt: null,
    }),
  }));
}

export function extendReservationUseCase(deps: UseCaseDeps & { ttlPolicy: ReservationTtlPolicy }) {
  return runCommand<CommandBase & { ttlMs: number }>(deps, "extend", (command, now) => ({
    command: "extend",
    eventType: "ReservationExtended",
    lines: () => [],
    lineFrom: "held",
    lineTo: "held",
    move: null,
    next: () => ({ status: "active", expiresAt: new Date(now.getTime() + command.ttlMs) }),
  }));
}
