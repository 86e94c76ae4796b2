// Pick lists and their lines: named queries; each line's change is guarded by its status.
import type { Transaction } from "@stockroom/db";
import type { FulfillmentDatabase } from "./database.ts";

// A cancelled fulfillment's lines still pending on a wave are cancelled (the picker skips them).
export async function cancelPendingPickLines(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  now: Date,
): Promise<number> {
  const rows = await trx
    .updateTable("pick_list_lines")
    .set({ status: "cancelled", updated_at: now })
    .where("fulfillment_id", "=", fulfillmentId)
    .where("status", "=", "pending")
    .where("short_quantity", "=", 0)
    .returning("line_number")
    .execute();
  return rows.length;
}
