// Admin writes against real PostgreSQL and Redis: each change and its event commit together, keys are
// idempotent, archived products are frozen, and readers never see a view older than the last write.
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { AppError, ErrorReason } from "@stockroom/errors";
import { PriceChangedSchema } from "@stockroom/proto/stockroom/catalog/v1/events_pb.js";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
} from "./support/catalog-fixture.ts";

let f: CatalogFixture;

beforeAll(async () => {
  f = await createCatalogFixture();
});

afterAll(async () => {
  await f?.cleanup();
});

async function outboxOf(sku: string) {
  const { rows } = await f.schema.pool.query(
    "SELECT event_type, aggregate_version, topic, envelope FROM outbox WHERE aggregate_id = $1 ORDER BY id",
    [sku],
  );
  return rows as { event_type: string; aggregate_version: string; topic: string; envelope: Buffer }[];
}

describe("product admin", () => {
  it("writes each change with its event and moves the version", async () => {
    const created = await f.createProduct(productInput("ADM-1"), CONTEXT);
    expect(created.version).toBe(1);
    const updated = await f.updateProduct(
      {
        idempotencyKey: "u1",
        sku: "ADM-1",
        name: "Renamed",
        expectedVersion: 1,
      },
      CONTEXT,
    );
    expect(updated).toMatchObject({ name: "Renamed", version: 2, brand: "acme" });
    const priced = await f.changePrice(
      {
        idempotencyKey: "p1",
        sku: "ADM-1",
        price: { amountMinor: 2499n, currency: "EUR" },
      },
      CONTEXT,
    );
    expect(priced.price).toEqual({ amountMinor: 2499n, currency: "EUR" });
    const archived = await f.archiveProduct({ idempotencyKey: "a1", sku: "ADM-1" }, CONTEXT);
    expect(archived.status).toBe("archived");

    const events = await outboxOf("ADM-1");
    expect(events.map((e) => [e.event_type, Number(e.aggregate_version), e.topic])).toEqual([
      ["ProductCreated", 1, "catalog.product.v1"],
      ["ProductUpdated", 2, "catalog.product.v1"],
      ["PriceChanged", 3, "catalog.product.v1"],
      ["ProductArchived", 4, "catalog.product.v1"],
    ]);
    const envelope = fromBinary(EventEnvelopeSchema, (events[2] as { envelope: Buffer }).envelope);
    const payload = envelope.payload && anyUnpack(envelope.payload, PriceChangedSchema);
    expect(payload?.previousPrice?.amountMinor).toBe(1999n);
    expect(payload?.price?.amountMinor).toBe(2499n);

    await expect(
      f.changePrice(
        {
          idempotencyKey: "p2",
          sku: "ADM-1",
          price: { amountMinor: 1n, currency: "EUR" },
        },
        CONTEXT,
      ),
    ).rejects.toMatchObject({ kind: "failed_precondition", reason: ErrorReason.INVALID_STATE_TRANSITION });
  });

  it("replays the first answer for a repeated key and refuses the key for another request", async () => {
    const first = await f.createProduct(productInput("ADM-2"), CONTEXT);
    const again = await f.createProduct(productInput("ADM-2"), CONTEXT);
    expect(again).toEqual(first);
    expect(await outboxOf("ADM-2")).toHaveLength(1);
    await expect(f.createProduct(productInput("ADM-2", { name: "other" }), CONTEXT)).rejects.toMatchObject({
      reason: ErrorReason.IDEMPOTENCY_KEY_REUSED,
    });
    await expect(
      f.createProduct(productInput("ADM-2", { idempotencyKey: "new" }), CONTEXT),
    ).rejects.toMatchObject({
      kind: "already_exists",
    });
  });

  it("refuses a stale expected version and bad prices", async () => {
    await f.createProduct(productInput("ADM-3"), CONTEXT);
    const err = await f
      .updateProduct({ idempotencyKey: "u", sku: "ADM-3", name: "x", expectedVersion: 7 }, CONTEXT)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ reason: ErrorReason.CONCURRENT_MODIFICATION });
    await expect(
      f.changePrice(
        {
          idempotencyKey: "p",
          sku: "ADM-3",
          price: { amountMinor: -5n, currency: "EUR" },
        },
        CONTEXT,
      ),
    ).rejects.toMatchObject({ kind: "invalid_argument", field: "price" });
  });

  it("a cached view never survives a write: the next read sees the new price", async () => {
    await f.createProduct(productInput("ADM-4"), CONTEXT);
    expect((await f.getProduct("ADM-4")).product.price.amountMinor).toBe(1999n);
    expect((await f.getProduct("ADM-4")).product.price.amountMinor).toBe(1999n);
    await f.changePrice(
      {
        idempotencyKey: "p",
        sku: "ADM-4",
        price: { amountMinor: 999n, currency: "EUR" },
      },
      CONTEXT,
    );
    expect((await f.getProduct("ADM-4")).product.price.amountMinor).toBe(999n);
  });

  it("lists by category, brand and stock with a cursor", async () => {
    for (const sku of ["L-1", "L-2", "L-3", "L-4"]) {
      await f.createProduct(
        productInput(sku, { idempotencyKey: `c-${sku}`, brand: "listco", categoryPath: "home/kitchen" }),
        CONTEXT,
      );
    }
    await f.createProduct(
      productInput("L-5", { idempotencyKey: "c-L-5", brand: "listco", categoryPath: "homeware" }),
      CONTEXT,
    );
    const first = await f.listProducts({
      brand: "listco",
      category: "home",
      status: "active",
      inStockOnly: false,
      pageSize: 3,
    });
    expect(first.products.map((v) => v.product.sku)).toEqual(["L-1", "L-2", "L-3"]);
    expect(first.more).toBe(true);
    const second = await f.listProducts({
      brand: "listco",
      category: "home",
      status: "active",
      inStockOnly: false,
      pageSize: 3,
      afterSku: first.lastSku,
    });
    expect(second.products.map((v) => v.product.sku)).toEqual(["L-4"]);
    expect(second.more).toBe(false);
  });
});
