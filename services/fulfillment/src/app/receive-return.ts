// ReceiveReturn (ops): the parcel arrived at a warehouse; units per line, each at most what was asked
// back. authorized → received (guarded); ReturnReceived tells the order service.
import { ErrorReason, failedPrecondition, invalidArgument, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox } from "@stockroom/outbox";
import { findReturn, type ReturnRow, setReceivedUnits, transitionReturn } from "../data/return.repo.ts";
import { assertReturnCommand } from "../domain/return-rules.ts";
import { returnReceivedEvent } from "./return-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

const WAREHOUSE_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

export interface ReceiveReturnCommand {
  idempotencyKey: string;
  returnId: string;
  warehouseCode: string;
  lines: { orderLineNumber: number; quantity: number }[];
}

export function receiveReturnUseCase(deps: UseCaseDeps) {
  return async (command: ReceiveReturnCommand, context: RequestContext): Promise<ReturnRow> => {
    const { idempotencyKey, ...request } = command;
    if (!WAREHOUSE_CODE.test(command.warehouseCode)) {
      throw invalidArgument(
        "warehouse_code",
        "warehouse_code must be 1 to 32 upper-case letters, digits, '_' or '-'",
      );
    }
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "receive-return",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const found = await findReturn(trx, command.returnId);
          if (!found) throw notFound(ErrorReason.RETURN_NOT_FOUND, `return ${command.returnId} not found`);
          assertReturnCommand(found.returnId, found.status, "receive");
          const received = new Map<number, number>();
          command.lines.forEach((l, i) => {
            const line = found.lines.find((r) => r.orderLineNumber === l.orderLineNumber);
            if (!line || received.has(l.orderLineNumber)) {
              throw invalidArgument(
                `lines[${i}].order_line_number`,
                `line ${l.orderLineNumber} is not on the return once`,
              );
            }
            if (!Number.isInteger(l.quantity) || l.quantity < 0 || l.quantity > line.requested) {
              throw invalidArgument(
                `lines[${i}].quantity`,
                `lines[${i}].quantity must be between 0 and the ${line.requested} units asked back`,
              );
            }
            received.set(l.orderLineNumber, l.quantity);
          });
          if ([...received.values()].every((n) => n === 0)) {
            throw invalidArgument("lines", "a received return holds at least one unit");
          }
          const version = await transitionReturn(trx, found.returnId, "receive", now, {
            warehouseCode: command.warehouseCode,
          });
          if (version === undefined) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `return ${found.returnId} changed; retry`,
            );
          }
          await setReceivedUnits(trx, found.returnId, received);
          await appendToOutbox(trx, { producer: deps.producer }, [
            returnReceivedEvent(
              {
                topic: deps.topics.return,
                returnId: found.returnId,
                orderId: found.orderId,
                version,
                warehouseCode: command.warehouseCode,
              },
              found.lines.map((l) => ({
                orderLineNumber: l.orderLineNumber,
                sku: l.sku,
                quantity: received.get(l.orderLineNumber) ?? 0,
              })),
              now,
            ),
          ]);
          const after = await findReturn(trx, found.returnId);
          if (!after) throw new Error(`return ${found.returnId} vanished in its own transaction`);
          return after;
        },
      ),
    );
  };
}
