// AuthorizeReturn and RejectReturn (ops): requested → authorized | rejected, guarded. A rejected return
// gives its units back to what may still be returned.

import { sql } from "@stockroom/db";
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { findReturn, type ReturnRow, transitionReturn } from "../data/return.repo.ts";
import { assertReturnCommand } from "../domain/return-rules.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export function decideReturnUseCase(deps: UseCaseDeps, decision: "authorize" | "reject") {
  return async (
    command: { idempotencyKey: string; returnId: string; reason?: string },
    context: RequestContext,
  ): Promise<ReturnRow> => {
    const { idempotencyKey, ...request } = command;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: `${decision}-return`,
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const found = await findReturn(trx, command.returnId);
          if (!found) throw notFound(ErrorReason.RETURN_NOT_FOUND, `return ${command.returnId} not found`);
          assertReturnCommand(found.returnId, found.status, decision);
          const version = await transitionReturn(trx, found.returnId, decision, now, {
            rejectionReason: (command.reason ?? "").trim().slice(0, 500) || "rejected by ops",
          });
          if (version === undefined) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `return ${found.returnId} changed; retry`,
            );
          }
          if (decision === "reject") {
            for (const l of found.lines) {
              await trx
                .updateTable("fulfillment_lines")
                .set({ returned: sql<number>`returned - ${l.requested}` })
                .where("fulfillment_id", "=", found.fulfillmentId)
                .where("order_line_number", "=", l.orderLineNumber)
                .execute();
            }
          }
          const after = await findReturn(trx, found.returnId);
          if (!after) throw new Error(`return ${found.returnId} vanished in its own transaction`);
          return after;
        },
      ),
    );
  };
}
