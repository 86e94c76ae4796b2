// Reservation states and the transitions each command may make. Every command checks its transition
// here and the repository repeats the check in its UPDATE ... WHERE status = ..., so two racing
// commands cannot both win.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";

export const RESERVATION_STATUSES = [
  "active",
  "confirmed",
  "released",
  "expired",
  "cancelled",
  "shipped",
] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const LINE_STATUSES = ["held", "committed", "shipped", "released"] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

export type ReservationCommand = "extend" | "release" | "confirm" | "expire" | "cancel" | "ship";

const FROM_STATUS: Record<ReservationCommand, ReservationStatus> = {
  extend: "active",
  release: "active",
  confirm: "active",
  expire: "active",
  cancel: "confirmed",
  ship: "confirmed",
};

const TO_STATUS: Record<Exclude<ReservationCommand, "extend" | "ship">, ReservationStatus> = {
  release: "released",
  confirm: "confirmed",
  expire: "expired",
  cancel: "cancelled",
};

export function requiredStatus(command: ReservationCommand): ReservationStatus {
  return FROM_STATUS[command];
}

export function statusAfter(command: Exclude<ReservationCommand, "extend" | "ship">): ReservationStatus {
  return TO_STATUS[command];
}

export interface ReservationSnapshot {
  reservationId: string;
  status: ReservationStatus;
  expiresAt: Date | null;
}

// Throws FAILED_PRECONDITION when `command` may not run on the reservation as it is now. An active
// reservation past its expiry counts as expired for confirm and extend even before the sweeper has
// run: nobody may commit stock whose hold has lapsed. Release is still allowed (the stock goes back
// either way, exactly once).
export function assertCommandAllowed(
  reservation: ReservationSnapshot,
  command: ReservationCommand,
  now: Date,
): void {
  const required = FROM_STATUS[command];
  if (reservation.status !== required) {
    throw failedPrecondition(
      reservation.status === "expired"
        ? ErrorReason.RESERVATION_EXPIRED
        : ErrorReason.INVALID_STATE_TRANSITION,
      `reservation ${reservation.reservationId} is ${reservation.status}; ${command} needs it ${required}`,
      { status: reservation.status, command },
    );
  }
  const lapsed = reservation.expiresAt !== null && reservation.expiresAt.getTime() <= now.getTime();
  if (lapsed && (command === "confirm" || command === "extend")) {
    throw failedPrecondition(
      ErrorReason.RESERVATION_EXPIRED,
      `reservation ${reservation.reservationId} expired at ${reservation.expiresAt?.toISOString()}`,
      { status: "expired", command },
    );
  }
}

// A reservation as use cases return it and idempotent replays store it (JSON-safe: dates as ISO text).
export interface AllocationView {
  warehouseCode: string;
  lotCode: string;
  quantity: number;
}

export interface ReservationLineView {
  lineNumber: number;
  sku: string;
  quantity: number;
  status: LineStatus;
  allocations: AllocationView[];
}

export interface ReservationView {
  reservationId: string;
  referenceType: string;
  referenceId: string;
  orderReference: string | null;
  status: ReservationStatus;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  lines: ReservationLineView[];
}
