// The ledger records reservations per lot, so a lot's history can be rebuilt from it: the reserve rows of
// a reservation drawn from two lots name each lot with its quantity, and every lot's allocated units equal
// what its ledger rows hold.
import { sql } from "@stockroom/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertInvariants,
  CONTEXT,
  createWarehouseFixture,
  insertWarehouse,
  key,
  receive,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

let fx: WarehouseFixture;

beforeAll(async () => {
  fx = await createWarehouseFixture({ poolMax: 4 });
  await insertWarehouse(fx.db, "W1", { priority: 1 });
});

afterAll(async () => {
  await fx?.drop();
});

describe("reserve movements per lot", () => {
  it("writes one reserve row per lot drawn, FEFO first, matching the lots' allocated units", async () => {
    await receive(fx.useCases, "W1", [
      { sku: "MILK", quantity: 4, lotCode: "LATE", expiresOn: "2027-03-01" },
      { sku: "MILK", quantity: 3, lotCode: "EARLY", expiresOn: "2027-01-01" },
    ]);
    const { reservation } = await fx.useCases.reserve(
      {
        idempotencyKey: key("reserve"),
        reference: { type: "cart", id: "cart-lots" },
        lines: [{ sku: "MILK", quantity: 5, warehouseCode: "W1" }],
        allowPartial: false,
        allowSplit: false,
      },
      CONTEXT,
    );
    const { rows } = await sql<{ lot_code: string; reserved_delta: number }>`
      SELECT lot_code, reserved_delta::int FROM stock_movements
      WHERE reason = 'reserve' AND reference_id = ${reservation?.reservationId ?? ""}
      ORDER BY lot_code`.execute(fx.db);
    expect(rows).toEqual([
      { lot_code: "EARLY", reserved_delta: 3 },
      { lot_code: "LATE", reserved_delta: 2 },
    ]);
    const lots = await sql<{ lot_code: string; allocated: number }>`
      SELECT lot_code, allocated::int FROM stock_lots WHERE sku = 'MILK' ORDER BY lot_code`.execute(fx.db);
    expect(lots.rows).toEqual([
      { lot_code: "EARLY", allocated: 3 },
      { lot_code: "LATE", allocated: 2 },
    ]);
    await assertInvariants(fx.db);
  });
});
