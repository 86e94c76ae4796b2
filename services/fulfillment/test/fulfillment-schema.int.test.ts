// The fulfillment migrations apply into a fresh schema, and the database itself keeps fulfillment's
// invariants: one fulfillment per order and warehouse, every unit ending one way, nothing shipped
// unpacked or restocked unreturned, waves within one warehouse, one shipment per fulfillment, one
// inspection per held package, warehouse commands queued once per deterministic key.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/fulfillment", import.meta.url));

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
});

afterAll(async () => {
  await schema?.drop();
});

const q = (text: string, values: unknown[] = []) => schema.pool.query(text, values);

async function insertFulfillment(
  overrides: { orderId?: string; warehouseCode?: string } = {},
): Promise<{ fulfillmentId: string; orderId: string }> {
  const fulfillmentId = randomUUID();
  const orderId = overrides.orderId ?? randomUUID();
  await q(
    `INSERT INTO fulfillment_orders (fulfillment_id, order_id, customer_id, warehouse_code, reservation_id,
       currency, order_value_minor)
     VALUES ($1, $2, 'cust-1', $3, $4, 'EUR', 7500)`,
    [fulfillmentId, orderId, overrides.warehouseCode ?? "WH-1", randomUUID()],
  );
  return { fulfillmentId, orderId };
}

async function insertLine(
  fulfillmentId: string,
  values: Record<string, number | string> = {},
): Promise<void> {
  const row = {
    order_line_number: 1,
    reservation_line_number: 1,
    sku: "SKU-1",
    unit_price_minor: 2500,
    ordered: 3,
    ...values,
  };
  const columns = Object.keys(row);
  await q(
    `INSERT INTO fulfillment_lines (fulfillment_id, ${columns.join(", ")})
     VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(", ")})`,
    [fulfillmentId, ...Object.values(row)],
  );
}

async function insertPickList(warehouseCode = "WH-1"): Promise<string> {
  const pickListId = randomUUID();
  await q("INSERT INTO pick_lists (pick_list_id, warehouse_code, created_by) VALUES ($1, $2, 'ops-1')", [
    pickListId,
    warehouseCode,
  ]);
  return pickListId;
}

async function insertPackage(
  fulfillmentId: string,
  status = "packed",
  triggers: string[] = [],
): Promise<string> {
  const packageId = randomUUID();
  await q(
    `INSERT INTO packages (package_id, fulfillment_id, status, length_mm, width_mm, height_mm,
       expected_weight_grams, measured_weight_grams, qc_triggers)
     VALUES ($1, $2, $3, 300, 200, 100, 900, 905, $4)`,
    [packageId, fulfillmentId, status, triggers],
  );
  return packageId;
}

describe("fulfillment schema", () => {
  it("applies every migration and creates the tables", async () => {
    const { rows } = await q(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [schema.schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      "consumer_aggregate_versions",
      "event_processing_log",
      "fulfillment_lines",
      "fulfillment_orders",
      "idempotency_records",
      "outbox",
      "package_lines",
      "packages",
      "pick_list_lines",
      "pick_lists",
      "qc_inspections",
      "qc_unit_results",
      "return_lines",
      "return_unit_dispositions",
      "returns",
      "schema_migrations",
      "shipments",
      "warehouse_commands",
    ]);
  });

  it("refuses a second fulfillment for one order and warehouse, but allows another warehouse", async () => {
    const { orderId } = await insertFulfillment();
    await expect(insertFulfillment({ orderId })).rejects.toMatchObject({
      code: "23505",
      constraint: "fulfillment_orders_one_per_order_warehouse",
    });
    await expect(insertFulfillment({ orderId, warehouseCode: "WH-2" })).resolves.toBeDefined();
  });

  it("keeps line quantities sane: each unit ends once, packed within picked, shipped within packed", async () => {
    const { fulfillmentId } = await insertFulfillment();
    await insertLine(fulfillmentId);
    const update = (set: string) =>
      q(`UPDATE fulfillment_lines SET ${set} WHERE fulfillment_id = $1`, [fulfillmentId]);
    await expect(update("picked = -1")).rejects.toMatchObject({ code: "23514" });
    await expect(update("picked = 4")).rejects.toMatchObject({
      constraint: "fulfillment_lines_units_end_once",
    });
    await expect(update("picked = 2, short_quantity = 1, cancelled = 1")).rejects.toMatchObject({
      constraint: "fulfillment_lines_units_end_once",
    });
    await expect(update("picked = 1, packed = 2")).rejects.toMatchObject({
      constraint: "fulfillment_lines_packed_within_picked",
    });
    await expect(update("picked = 2, packed = 2, shipped = 3")).rejects.toMatchObject({
      code: "23514",
    });
    await expect(update("picked = 2, packed = 1, shipped = 2")).rejects.toMatchObject({
      constraint: "fulfillment_lines_shipped_within_packed",
    });
    await update("picked = 2, short_quantity = 1, packed = 2, shipped = 2");
    await expect(insertLine(fulfillmentId, { order_line_number: 2, ordered: 0 })).rejects.toMatchObject({
      code: "23514",
    });
  });

  it("never restocks more than was returned, nor returns more than was delivered", async () => {
    const { fulfillmentId } = await insertFulfillment();
    await insertLine(fulfillmentId, { picked: 3, packed: 3, shipped: 3, delivered: 3 });
    const update = (set: string) =>
      q(`UPDATE fulfillment_lines SET ${set} WHERE fulfillment_id = $1`, [fulfillmentId]);
    await expect(update("returned = 4")).rejects.toMatchObject({
      constraint: "fulfillment_lines_returned_within_delivered",
    });
    await expect(update("returned = 2, restocked = 3")).rejects.toMatchObject({
      constraint: "fulfillment_lines_restocked_within_returned",
    });
    await expect(update("delivered = 4")).rejects.toMatchObject({
      constraint: "fulfillment_lines_delivered_within_shipped",
    });
    await update("returned = 3, restocked = 3");
  });

  it("keeps a wave within one warehouse and a pick line's picked + short within its quantity", async () => {
    const { fulfillmentId } = await insertFulfillment({ warehouseCode: "WH-1" });
    await insertLine(fulfillmentId);
    const otherWarehouse = await insertPickList("WH-9");
    await expect(
      q("UPDATE fulfillment_orders SET status = 'picking', pick_list_id = $2 WHERE fulfillment_id = $1", [
        fulfillmentId,
        otherWarehouse,
      ]),
    ).rejects.toMatchObject({ code: "23503", constraint: "fulfillment_orders_pick_list_fk" });
    await expect(
      q("UPDATE fulfillment_orders SET status = 'picking' WHERE fulfillment_id = $1", [fulfillmentId]),
    ).rejects.toMatchObject({ code: "23514" });
    const pickListId = await insertPickList("WH-1");
    await q("UPDATE fulfillment_orders SET status = 'picking', pick_list_id = $2 WHERE fulfillment_id = $1", [
      fulfillmentId,
      pickListId,
    ]);
    const line = (lineNumber: number, values: string) =>
      q(
        `INSERT INTO pick_list_lines (pick_list_id, line_number, fulfillment_id, order_line_number, sku, bin_code,
           quantity, picked, short_quantity, status)
         VALUES ($1, $2, $3, 1, 'SKU-1', 'A-01', ${values})`,
        [pickListId, lineNumber, fulfillmentId],
      );
    await expect(line(1, "3, 2, 2, 'short'")).rejects.toMatchObject({ code: "23514" });
    await expect(line(1, "3, 2, 0, 'picked'")).rejects.toMatchObject({ code: "23514" });
    await expect(line(1, "3, 3, 0, 'short'")).rejects.toMatchObject({ code: "23514" });
    await expect(line(1, "3, 0, 0, 'pending'")).resolves.toBeDefined();
    await expect(line(2, "3, 2, 1, 'short'")).resolves.toBeDefined();
    await expect(
      q(
        `INSERT INTO pick_list_lines (pick_list_id, line_number, fulfillment_id, order_line_number, sku, bin_code, quantity)
         VALUES ($1, 3, $2, 7, 'SKU-1', 'A-01', 1)`,
        [pickListId, fulfillmentId],
      ),
    ).rejects.toMatchObject({ code: "23503" });
  });

  it("allows one live package and one shipment per fulfillment, and one inspection per package", async () => {
    const { fulfillmentId } = await insertFulfillment();
    await insertLine(fulfillmentId);
    await expect(insertPackage(fulfillmentId, "qc_hold")).rejects.toMatchObject({ code: "23514" });
    const held = await insertPackage(fulfillmentId, "qc_hold", ["weight_mismatch"]);
    await expect(insertPackage(fulfillmentId)).rejects.toMatchObject({
      constraint: "packages_one_live_per_fulfillment",
    });
    await q(
      "INSERT INTO package_lines (package_id, fulfillment_id, order_line_number, quantity) VALUES ($1, $2, 1, 3)",
      [held, fulfillmentId],
    );
    const inspect = () =>
      q(
        `INSERT INTO qc_inspections (inspection_id, package_id, inspector, passed_units, failed_units)
         VALUES ($1, $2, 'ops-1', 2, 1) RETURNING inspection_id`,
        [randomUUID(), held],
      );
    const inspectionId = (await inspect()).rows[0].inspection_id as string;
    await expect(inspect()).rejects.toMatchObject({ code: "23505" });
    const result = (lineNumber: number, unit: number, outcome: string, reason: string) =>
      q(
        `INSERT INTO qc_unit_results (inspection_id, package_id, order_line_number, unit_index, outcome, reason)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [inspectionId, held, lineNumber, unit, outcome, reason],
      );
    await result(1, 1, "pass", "");
    await expect(result(1, 2, "fail_damaged", "")).rejects.toMatchObject({ code: "23514" });
    await expect(result(1, 1, "pass", "")).rejects.toMatchObject({ code: "23505" });
    await expect(result(2, 1, "pass", "")).rejects.toMatchObject({ code: "23503" });
    await q("UPDATE packages SET status = 'voided' WHERE package_id = $1", [held]);
    const packed = await insertPackage(fulfillmentId);
    const ship = (tracking: string) =>
      q(
        `INSERT INTO shipments (shipment_id, fulfillment_id, package_id, carrier, tracking_number)
         VALUES ($1, $2, $3, 'DHL', $4)`,
        [randomUUID(), fulfillmentId, packed, tracking],
      );
    await ship("TRACK-1");
    await expect(ship("TRACK-2")).rejects.toMatchObject({ code: "23505" });
  });

  it("keeps a return line's received, inspected and restocked units within what came before", async () => {
    const { fulfillmentId, orderId } = await insertFulfillment();
    await insertLine(fulfillmentId, { picked: 3, packed: 3, shipped: 3, delivered: 3, returned: 3 });
    const returnId = randomUUID();
    await q(
      `INSERT INTO returns (return_id, fulfillment_id, order_id, customer_id, reason, currency)
       VALUES ($1, $2, $3, 'cust-1', 'change_of_mind', 'EUR')`,
      [returnId, fulfillmentId, orderId],
    );
    await q(
      `INSERT INTO return_lines (return_id, fulfillment_id, order_line_number, sku, requested)
       VALUES ($1, $2, 1, 'SKU-1', 3)`,
      [returnId, fulfillmentId],
    );
    const update = (set: string) => q(`UPDATE return_lines SET ${set} WHERE return_id = $1`, [returnId]);
    await expect(update("received = 4")).rejects.toMatchObject({
      constraint: "return_lines_received_within_requested",
    });
    await expect(update("received = 2, sellable = 2, damaged = 1")).rejects.toMatchObject({
      constraint: "return_lines_inspected_within_received",
    });
    await expect(update("received = 3, sellable = 2, restocked = 3")).rejects.toMatchObject({
      constraint: "return_lines_restocked_within_inspected",
    });
    await update("received = 3, sellable = 2, damaged = 1, restocked = 3");
    await expect(
      q("UPDATE returns SET status = 'received' WHERE return_id = $1", [returnId]),
    ).rejects.toMatchObject({ code: "23514" });
    await expect(
      q("UPDATE returns SET status = 'rejected' WHERE return_id = $1", [returnId]),
    ).rejects.toMatchObject({ code: "23514" });
  });

  it("queues a warehouse command once per deterministic key", async () => {
    const command = (key: string) =>
      q(
        `INSERT INTO warehouse_commands (command_id, idempotency_key, kind, aggregate_type, aggregate_id, payload)
         VALUES ($1, $2, 'ship_reservation', 'fulfillment', $3, '{"reservationId": "r"}')`,
        [randomUUID(), key, randomUUID()],
      );
    const key = `${randomUUID()}:ship`;
    await command(key);
    await expect(command(key)).rejects.toMatchObject({ code: "23505" });
    await expect(
      q("UPDATE warehouse_commands SET status = 'sent' WHERE idempotency_key = $1", [key]),
    ).rejects.toMatchObject({ code: "23514" });
    await q("UPDATE warehouse_commands SET status = 'sent', sent_at = now() WHERE idempotency_key = $1", [
      key,
    ]);
  });
});
