import { ErrorReason, notFound } from "@stockroom/errors";
import { findLines, findReservationHeader, toReservationView } from "../data/reservation.repo.ts";
import type { ReservationView } from "../domain/reservation.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function getReservationUseCase(deps: UseCaseDeps) {
  return async function getReservation(reservationId: string): Promise<ReservationView> {
    const header = await findReservationHeader(deps.db, reservationId);
    if (!header) {
      throw notFound(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${reservationId} does not exist`, {
        reservation_id: reservationId,
      });
    }
    const { lines, allocations } = await findLines(deps.db, reservationId);
    return toReservationView(header, lines, allocations);
  };
}
