// The carriers' delivery webhook over HTTP with a real shipped fulfillment (real warehouse process): a
// bad signature is 401 and changes nothing; a signed "delivered" event delivers the fulfillment and
// writes FulfillmentDelivered once, however often the carrier redelivers it; other statuses and unknown
// tracking numbers are acknowledged and change nothing.
import { createLogger } from "@stockroom/logging";
import {
  FulfillmentOrderStatus,
  QcOutcome,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CARRIER_SIGNATURE_HEADER, signCarrierWebhook } from "../src/domain/carrier-webhook.ts";
import {
  type CarrierWebhookServer,
  startCarrierWebhookServer,
} from "../src/transport/http/carrier-webhook.server.ts";
import { createFloorFixture, type FloorFixture } from "./support/floor-fixture.ts";

const SECRET = "carrier-webhook-test-secret";
const WH = `CW-${uniqueSuffix().slice(-6).toUpperCase()}`;
let f: FloorFixture;
let webhooks: CarrierWebhookServer;

beforeAll(async () => {
  f = await createFloorFixture();
  await f.seedWarehouse(WH, [{ sku: "HOOK-1", bin: "BIN-1", sequence: 1, quantity: 5 }]);
  webhooks = await startCarrierWebhookServer({
    port: 0,
    host: "127.0.0.1",
    secret: SECRET,
    toleranceMs: 300_000,
    record: f.useCases.carrierWebhook.recordDelivery,
    logger: createLogger({ service: "carrier-webhook-test", level: "silent" }),
  });
}, 180_000);

afterAll(async () => {
  await webhooks?.close();
  await f?.cleanup();
});

function post(body: unknown, secret = SECRET) {
  const raw = JSON.stringify(body);
  return fetch(webhooks.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [CARRIER_SIGNATURE_HEADER]: signCarrierWebhook(secret, raw, new Date()),
    },
    body: raw,
  });
}

async function deliveredEvents(fulfillmentId: string): Promise<number> {
  const { rows } = await f.schema.pool.query(
    "SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'FulfillmentDelivered'",
    [fulfillmentId],
  );
  return rows[0]?.n as number;
}

it("a signed delivery event delivers the shipment once; a bad signature, other statuses and unknown parcels change nothing", async () => {
  const id = await f.openFulfillment(WH, "HOOK-1", 2);
  const { pickList } = await f.client.buildWave(
    { idempotencyKey: "cw-wave", warehouseCode: WH },
    f.as("ops"),
  );
  await f.client.confirmPick(
    {
      idempotencyKey: "cw-pick",
      pickListId: pickList?.pickListId ?? "",
      lineNumber: 1,
      scannedBinCode: "BIN-1",
      scannedSku: "HOOK-1",
    },
    f.as("ops"),
  );
  const packed = await f.client.packFulfillment(
    {
      idempotencyKey: "cw-pack",
      fulfillmentId: id,
      dimensions: { lengthMm: 10, widthMm: 10, heightMm: 10 },
      measuredWeightGrams: 400,
    },
    f.as("ops"),
  );
  await f.client.recordQcResults(
    {
      idempotencyKey: "cw-qc",
      packageId: packed.package?.packageId ?? "",
      results: [1, 2].map((unitIndex) => ({ orderLineNumber: 1, unitIndex, outcome: QcOutcome.PASS })),
    },
    f.as("ops"),
  );
  const tracking = `CW-${uniqueSuffix()}`;
  await f.client.shipFulfillment(
    { idempotencyKey: "cw-ship", fulfillmentId: id, carrier: "dhl", trackingNumber: tracking },
    f.as("ops"),
  );
  await f.drainCommands();
  const event = {
    event_id: `ev-${uniqueSuffix()}`,
    carrier: "dhl",
    tracking_number: tracking,
    status: "delivered",
  };

  const forged = await post(event, "not-the-secret");
  expect(forged.status).toBe(401);
  const unsigned = await fetch(webhooks.url, { method: "POST", body: JSON.stringify(event) });
  expect(unsigned.status).toBe(401);
  expect((await post({ ...event, status: "in_transit" })).status).toBe(200);
  expect(await (await post({ ...event, tracking_number: "NOPE-1" })).json()).toMatchObject({
    outcome: "unknown_shipment",
  });
  expect((await post({ carrier: "dhl" })).status).toBe(400);
  const { fulfillment: before } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
  expect(before?.status).toBe(FulfillmentOrderStatus.SHIPPED);
  expect(await deliveredEvents(id)).toBe(0);

  const results = await Promise.all([post(event), post(event), post(event)]);
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(await (await post({ ...event, event_id: `ev-${uniqueSuffix()}` })).json()).toMatchObject({
    outcome: "already_delivered",
  });
  const { fulfillment: after } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
  expect(after?.status).toBe(FulfillmentOrderStatus.DELIVERED);
  expect(after?.shipment?.deliveredAt).toBeDefined();
  expect(await deliveredEvents(id)).toBe(1);
});
