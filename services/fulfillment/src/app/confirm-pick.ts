// ConfirmPick (ops): the picker scanned the line's bin and sku and took `quantity` units (0: all the
// line still needs). A wrong bin or sku, another warehouse's list, or more units than the line has left
// is refused with the field named, and nothing changes. Picking moves no stock in the warehouse: the
// units stay committed until ShipReservation consumes them.
import { invalidArgument } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { findPickList, type PickListRow } from "../data/pick-list.repo.ts";
import { appendEvents, type PickScan, recordScan, scannedLine } from "./pick-scan.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface ConfirmPickCommand extends PickScan {
  idempotencyKey: string;
  scannedSku: string;
  quantity: number;
}

export function confirmPickUseCase(deps: UseCaseDeps) {
  return async (command: ConfirmPickCommand, context: RequestContext): Promise<PickListRow> => {
    const { idempotencyKey, ...request } = command;
    await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "confirm-pick",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const scanned = await scannedLine(trx, command);
          const open = scanned.line.quantity - scanned.line.picked - scanned.line.short;
          const quantity = command.quantity === 0 ? open : command.quantity;
          if (quantity > open) {
            throw invalidArgument(
              "quantity",
              `only ${open} units are left on line ${scanned.line.lineNumber}, got ${quantity}`,
            );
          }
          await appendEvents(
            deps,
            trx,
            await recordScan(deps, trx, scanned, { picked: quantity, short: 0 }, now),
          );
          return { pickListId: scanned.pickListId };
        },
      ),
    );
    const list = await findPickList(deps.db, command.pickListId);
    if (!list) throw new Error(`pick list ${command.pickListId} vanished after its commit`);
    return list;
  };
}
