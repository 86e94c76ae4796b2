// Expires active reservations past their expiry, a batch per transaction. Rows are taken with
// FOR UPDATE SKIP LOCKED, so several sweepers share the work, and a reservation being confirmed or
// released right now is skipped (its command holds the row) and looked at again next pass.
import {
  countOverdueReservations,
  findAllocatedLevels,
  findOldestActiveCreatedAt,
  lockExpiredReservations,
} from "../data/reservation.repo.ts";
import { lockStockLevels } from "../data/stock.repo.ts";
import { EXPIRE } from "./reservation-commands.ts";
import { transitionReservation } from "./reservation-transition.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export function expireReservationsUseCase(deps: UseCaseDeps) {
  return async function expireReservations(batchSize: number, context: RequestContext): Promise<number> {
    const expired = await deps.transaction(async (trx) => {
      const now = deps.clock();
      const due = await lockExpiredReservations(trx, now, batchSize);
      // Lock every level the batch will touch up front, in one ordered statement: locking them
      // reservation by reservation would take them out of (warehouse, sku) order and deadlock with
      // reservations and commands that lock in order.
      await lockStockLevels(
        trx,
        await findAllocatedLevels(
          trx,
          due.map((header) => header.reservationId),
        ),
      );
      for (const header of due) await transitionReservation(trx, header, EXPIRE, context, now);
      return due.length;
    }, context);
    deps.metrics?.expired.inc(expired);
    return expired;
  };
}

export function oldestActiveReservationAgeUseCase(deps: UseCaseDeps) {
  return async function oldestActiveReservationAgeSeconds(): Promise<number> {
    const oldest = await findOldestActiveCreatedAt(deps.db);
    return oldest ? Math.max(0, (deps.clock().getTime() - oldest.getTime()) / 1000) : 0;
  };
}

export function countOverdueReservationsUseCase(deps: UseCaseDeps) {
  return function countOverdue(): Promise<number> {
    return countOverdueReservations(deps.db, deps.clock());
  };
}
