// Contract tests of WarehouseService: an in-process server over a migrated test schema, called with the
// generated typed client and real tokens. Bad input is refused with the right code and the field named,
// and refused calls change nothing.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { createTokenIssuer, createTokenVerifier, type Role } from "@stockroom/auth";
import { ErrorReason } from "@stockroom/errors";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import {
  LineStatus,
  type PaymentMethod,
  ReservationStatus,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import {
  type ReserveRequest,
  ReserveRequestSchema,
  WarehouseService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { CONTRACT_TRANSPORTS, type ContractEndpoint, startContractEndpoint } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TTL_POLICY } from "../src/domain/reservation-ttl.ts";
import { createWarehouseHandler, WAREHOUSE_POLICY } from "../src/transport/grpc/warehouse.handler.ts";
import {
  createWarehouseFixture,
  insertWarehouse,
  key,
  receive,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

const SECRET = "contract-test-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

let fx: WarehouseFixture;
let server: GrpcServer;
let endpoint: ContractEndpoint;
let client: TypedClient<typeof WarehouseService>;
const tokens = new Map<Role, string>();

function as(role: Role) {
  return { metadata: { authorization: `Bearer ${tokens.get(role)}` } };
}

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    fx = await createWarehouseFixture({ poolMax: 8 });
    await insertWarehouse(fx.db, "W1");
    const handler = createWarehouseHandler(fx.useCases, DEFAULT_TTL_POLICY);
    server = createGrpcServer({
      logger: createLogger({ service: "warehouse-contract", level: "silent" }),
      registry: createMetricsRegistry({ service: "warehouse-contract", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(WarehouseService, handler, WAREHOUSE_POLICY);
    endpoint = await startContractEndpoint(server, transport);
    client = endpoint.client(WarehouseService);
    const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
    for (const role of ["storefront", "ops", "admin", "service"] as const) {
      tokens.set(role, await issuer.issue({ subject: `test-${role}`, roles: [role] }));
    }
  });

  afterAll(async () => {
    await endpoint?.close();
    await fx?.drop();
  });

  async function failure(call: Promise<unknown>) {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
    return err;
  }

  async function stockOf(sku: string) {
    const { stock } = await client.getStock({ sku }, as("storefront"));
    const level = stock?.levels[0];
    return {
      onHand: Number(level?.onHand ?? 0n),
      reserved: Number(level?.reserved ?? 0n),
      committed: Number(level?.committed ?? 0n),
      available: Number(stock?.totalAvailable ?? 0n),
    };
  }

  function reserveRequest(sku: string, overrides: Record<string, unknown> = {}) {
    return create(ReserveRequestSchema, {
      idempotencyKey: key("reserve"),
      reference: { type: "cart", id: key("cart") },
      lines: [{ sku, quantity: 2, warehouseCode: "W1" }],
      ...overrides,
    } as MessageInitShape<typeof ReserveRequestSchema>);
  }

  describe("happy path", () => {
    it("reserve → confirm → ship moves the buckets and GetStock shows them", async () => {
      await receive(fx.useCases, "W1", [{ sku: "HAPPY-1", quantity: 10 }]);
      expect(await stockOf("HAPPY-1")).toEqual({ onHand: 10, reserved: 0, committed: 0, available: 10 });

      const reserved = await client.reserve(
        reserveRequest("HAPPY-1", { lines: [{ sku: "HAPPY-1", quantity: 3 }] }),
        as("storefront"),
      );
      const id = reserved.reservation?.reservationId ?? "";
      expect(reserved.reservation?.status).toBe(ReservationStatus.ACTIVE);
      expect(reserved.reservation?.expiresAt).toBeDefined();
      expect(await stockOf("HAPPY-1")).toEqual({ onHand: 10, reserved: 3, committed: 0, available: 7 });

      const confirmed = await client.confirmReservation(
        { idempotencyKey: key("confirm"), reservationId: id, order: { type: "order", id: "o-1" } },
        as("storefront"),
      );
      expect(confirmed.reservation?.status).toBe(ReservationStatus.CONFIRMED);
      expect(confirmed.reservation?.expiresAt).toBeUndefined();
      expect(await stockOf("HAPPY-1")).toEqual({ onHand: 10, reserved: 0, committed: 3, available: 7 });

      const shipped = await client.shipReservation(
        { idempotencyKey: key("ship"), reservationId: id, shipmentId: "s-1" },
        as("ops"),
      );
      expect(shipped.reservation?.status).toBe(ReservationStatus.SHIPPED);
      expect(shipped.reservation?.lines[0]?.status).toBe(LineStatus.SHIPPED);
      expect(await stockOf("HAPPY-1")).toEqual({ onHand: 7, reserved: 0, committed: 0, available: 7 });

      const fetched = await client.getReservation({ reservationId: id }, as("service"));
      expect(fetched.reservation?.status).toBe(ReservationStatus.SHIPPED);
    });

    it("the same idempotency key with the same request returns the first answer", async () => {
      await receive(fx.useCases, "W1", [{ sku: "IDEM-1", quantity: 5 }]);
      const request = reserveRequest("IDEM-1");
      const first = await client.reserve(request, as("storefront"));
      const second = await client.reserve(request, as("storefront"));
      expect(second.reservation?.reservationId).toBe(first.reservation?.reservationId);
      expect(await stockOf("IDEM-1")).toMatchObject({ reserved: 2 });
    });
  });

  describe("refused input", () => {
    const SKU = "REFUSE-1";
    beforeAll(async () => {
      await receive(fx.useCases, "W1", [{ sku: SKU, quantity: 5 }]);
    });

    const cases: { name: string; field: string; request: () => ReserveRequest }[] = [
      {
        name: "quantity 0",
        field: "lines[0].quantity",
        request: () => reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 0 }] }),
      },
      {
        name: "negative quantity",
        field: "lines[0].quantity",
        request: () => reserveRequest(SKU, { lines: [{ sku: SKU, quantity: -3 }] }),
      },
      {
        name: "quantity above the maximum",
        field: "lines[0].quantity",
        request: () => reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 1_000_001 }] }),
      },
      {
        name: "bad sku",
        field: "lines[0].sku",
        request: () => reserveRequest(SKU, { lines: [{ sku: "bad sku!", quantity: 1 }] }),
      },
      {
        name: "bad warehouse code",
        field: "lines[0].warehouse_code",
        request: () => reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 1, warehouseCode: "w1 lower" }] }),
      },
      {
        name: "missing idempotency key",
        field: "idempotency_key",
        request: () => reserveRequest(SKU, { idempotencyKey: "" }),
      },
      {
        name: "ttl too long",
        field: "ttl",
        request: () =>
          reserveRequest(SKU, { ttl: { seconds: BigInt(DEFAULT_TTL_POLICY.maxMs / 1000 + 1), nanos: 0 } }),
      },
      {
        name: "ttl nanos out of range",
        field: "ttl",
        request: () => reserveRequest(SKU, { ttl: { seconds: 60n, nanos: 2_000_000_000 } }),
      },
      {
        name: "ttl nanos of the other sign",
        field: "ttl",
        request: () => reserveRequest(SKU, { ttl: { seconds: 600n, nanos: -5 } }),
      },
      {
        name: "unknown payment method",
        field: "payment_method",
        request: () => reserveRequest(SKU, { paymentMethod: 99 as PaymentMethod }),
      },
      { name: "no lines", field: "lines", request: () => reserveRequest(SKU, { lines: [] }) },
      {
        name: "missing reference",
        field: "reference",
        request: () => reserveRequest(SKU, { reference: undefined }),
      },
    ];

    it.each(cases)(
      "Reserve with $name → INVALID_ARGUMENT naming $field, stock unchanged",
      async ({ field, request }) => {
        const before = await stockOf(SKU);
        const err = await failure(client.reserve(request(), as("storefront")));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(err.details).toContain(field);
        expect(err.errorDetail?.field).toBe(field);
        expect(await stockOf(SKU)).toEqual(before);
      },
    );

    it("a bad reservation id → INVALID_ARGUMENT naming reservation_id", async () => {
      const err = await failure(
        client.confirmReservation(
          { idempotencyKey: key("c"), reservationId: "not-a-uuid" },
          as("storefront"),
        ),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain("reservation_id");
    });

    it("Reserve with several bad fields → one INVALID_ARGUMENT whose BadRequest lists every one", async () => {
      const before = await stockOf(SKU);
      const err = await failure(
        client.reserve(
          reserveRequest(SKU, {
            idempotencyKey: "",
            reference: { type: "Bad Type", id: "" },
            lines: [
              { sku: "bad sku!", quantity: 0 },
              { sku: SKU, quantity: 1, warehouseCode: "w1 lower" },
            ],
            paymentMethod: 99 as PaymentMethod,
          }),
          as("storefront"),
        ),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.statusDetails?.errorInfo?.reason).toBe("VALIDATION_FAILED");
      expect(err.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        "idempotency_key",
        "reference.type",
        "reference.id",
        "lines[0].sku",
        "lines[0].quantity",
        "lines[1].warehouse_code",
        "payment_method",
      ]);
      expect(err.errorDetail?.field).toBe("idempotency_key");
      expect(await stockOf(SKU)).toEqual(before);
    });

    it("BatchGetStock names every bad sku and the warehouse code at once", async () => {
      const err = await failure(
        client.batchGetStock(
          { skus: [SKU, "bad sku!", "also bad!"], warehouseCode: "w1 lower" },
          as("storefront"),
        ),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        "skus[1]",
        "skus[2]",
        "warehouse_code",
      ]);
    });

    it("ListUnitLocations: no skus, a bad sku or warehouse named; an unknown warehouse NOT_FOUND; a storefront refused", async () => {
      const none = await failure(client.listUnitLocations({ warehouseCode: "W1", skus: [] }, as("service")));
      expect(none.code).toBe(status.INVALID_ARGUMENT);
      expect(none.errorDetail?.field).toBe("skus");
      const bad = await failure(
        client.listUnitLocations({ warehouseCode: "w1 lower", skus: [SKU, "bad sku!"] }, as("service")),
      );
      expect(bad.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        "warehouse_code",
        "skus[1]",
      ]);
      expect(
        (await failure(client.listUnitLocations({ warehouseCode: "NOPE", skus: [SKU] }, as("ops")))).code,
      ).toBe(status.NOT_FOUND);
      expect(
        (await failure(client.listUnitLocations({ warehouseCode: "W1", skus: [SKU] }, as("storefront"))))
          .code,
      ).toBe(status.PERMISSION_DENIED);
      // Units received without a bin are in no bin: nothing to list.
      expect(
        await client.listUnitLocations({ warehouseCode: "W1", skus: [SKU] }, as("service")),
      ).toMatchObject({
        locations: [],
      });
    });

    it("insufficient stock → FAILED_PRECONDITION with the available numbers, stock unchanged", async () => {
      const before = await stockOf(SKU);
      const err = await failure(
        client.reserve(reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 9 }] }), as("storefront")),
      );
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain("requested 9");
      expect(err.details).toContain(`available ${before.available}`);
      expect(err.errorDetail?.metadata.line_1_available).toBe(String(before.available));
      expect(err.statusDetails?.errorInfo?.reason).toBe("INSUFFICIENT_STOCK");
      expect(err.statusDetails?.preconditionFailure?.violations).toMatchObject([
        { type: "INSUFFICIENT_STOCK", description: `line 1: requested 9, available ${before.available}` },
      ]);
      expect(err.statusDetails?.preconditionFailure?.violations[0]?.subject).toContain(`sku/${SKU}`);
      expect(await stockOf(SKU)).toEqual(before);
    });

    it("Reserve naming an unknown warehouse → NOT_FOUND with the warehouse-not-found reason, stock unchanged", async () => {
      const before = await stockOf(SKU);
      const err = await failure(
        client.reserve(
          reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 1, warehouseCode: "NOWHERE" }] }),
          as("storefront"),
        ),
      );
      expect(err.code).toBe(status.NOT_FOUND);
      expect(err.reason).toBe(ErrorReason.WAREHOUSE_NOT_FOUND);
      expect(err.statusDetails?.errorInfo).toMatchObject({
        reason: "WAREHOUSE_NOT_FOUND",
        metadata: { warehouse_code: "NOWHERE" },
      });
      expect(await stockOf(SKU)).toEqual(before);
      // A known warehouse without enough stock is still insufficient stock.
      const short = await failure(
        client.reserve(
          reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 9, warehouseCode: "W1" }] }),
          as("storefront"),
        ),
      );
      expect(short.code).toBe(status.FAILED_PRECONDITION);
    });

    it("an unknown reservation → NOT_FOUND", async () => {
      const unknown = "0190a3c4-0000-7000-8000-000000000000";
      const err = await failure(client.getReservation({ reservationId: unknown }, as("storefront")));
      expect(err.code).toBe(status.NOT_FOUND);
      const release = await failure(
        client.releaseReservation({ idempotencyKey: key("r"), reservationId: unknown }, as("storefront")),
      );
      expect(release.code).toBe(status.NOT_FOUND);
    });

    it("no token → UNAUTHENTICATED, stock unchanged", async () => {
      const before = await stockOf(SKU);
      const err = await failure(client.reserve(reserveRequest(SKU)));
      expect(err.code).toBe(status.UNAUTHENTICATED);
      expect(await stockOf(SKU)).toEqual(before);
    });

    it("a storefront shipping → PERMISSION_DENIED, stock unchanged", async () => {
      const reserved = await client.reserve(
        reserveRequest(SKU, { lines: [{ sku: SKU, quantity: 1 }] }),
        as("storefront"),
      );
      const id = reserved.reservation?.reservationId ?? "";
      await client.confirmReservation({ idempotencyKey: key("c"), reservationId: id }, as("storefront"));
      const before = await stockOf(SKU);
      const err = await failure(
        client.shipReservation({ idempotencyKey: key("s"), reservationId: id }, as("storefront")),
      );
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(await stockOf(SKU)).toEqual(before);
    });

    it("shipping a line already shipped, or one the reservation has not → FAILED_PRECONDITION, stock unchanged", async () => {
      await receive(fx.useCases, "W1", [
        { sku: "SHIP-LINES-A", quantity: 5 },
        { sku: "SHIP-LINES-B", quantity: 5 },
      ]);
      const reserved = await client.reserve(
        reserveRequest("SHIP-LINES-A", {
          lines: [
            { sku: "SHIP-LINES-A", quantity: 1, warehouseCode: "W1" },
            { sku: "SHIP-LINES-B", quantity: 1, warehouseCode: "W1" },
          ],
        }),
        as("storefront"),
      );
      const id = reserved.reservation?.reservationId ?? "";
      await client.confirmReservation({ idempotencyKey: key("c"), reservationId: id }, as("storefront"));
      const first = await client.shipReservation(
        { idempotencyKey: key("s"), reservationId: id, lineNumbers: [1], shipmentId: "s-a" },
        as("ops"),
      );
      expect(first.reservation?.status).toBe(ReservationStatus.CONFIRMED);
      const before = [await stockOf("SHIP-LINES-A"), await stockOf("SHIP-LINES-B")];
      for (const lineNumbers of [[1], [9], [2, 1]]) {
        const err = await failure(
          client.shipReservation(
            { idempotencyKey: key("s"), reservationId: id, lineNumbers, shipmentId: "s-b" },
            as("ops"),
          ),
        );
        expect(err.code).toBe(status.FAILED_PRECONDITION);
        expect(err.errorDetail?.reason).toBe(ErrorReason.INVALID_STATE_TRANSITION);
        expect(err.details).toContain("line_numbers");
      }
      expect([await stockOf("SHIP-LINES-A"), await stockOf("SHIP-LINES-B")]).toEqual(before);
      const fetched = await client.getReservation({ reservationId: id }, as("service"));
      expect(fetched.reservation?.lines.map((line) => line.status)).toEqual([
        LineStatus.SHIPPED,
        LineStatus.COMMITTED,
      ]);
    });
  });

  describe("returns and quality checks", () => {
    it("restocks sellable and damaged returns into their buckets", async () => {
      await receive(fx.useCases, "W1", [{ sku: "RET-1", quantity: 4 }]);
      const { levels } = await client.restockReturn(
        {
          idempotencyKey: key("ret"),
          returnId: "rma-1",
          lines: [
            { sku: "RET-1", warehouseCode: "W1", quantity: 2, condition: 1 },
            { sku: "RET-1", warehouseCode: "W1", quantity: 1, condition: 2 },
          ],
        },
        as("ops"),
      );
      expect(Number(levels[0]?.onHand)).toBe(6);
      expect(Number(levels[0]?.damaged)).toBe(1);
    });

    it("QC hold → fail moves units on_hand → quality_control → damaged; a hold beyond the lot's free units is refused", async () => {
      await receive(fx.useCases, "W1", [{ sku: "QC-1", quantity: 3 }]);
      const base = { warehouseCode: "W1", sku: "QC-1", reference: { type: "inspection", id: "i-1" } };
      const held = await client.recordQualityCheck(
        { ...base, idempotencyKey: key("qc"), quantity: 2, outcome: 1 },
        as("ops"),
      );
      expect(Number(held.level?.onHand)).toBe(1);
      expect(Number(held.level?.qualityControl)).toBe(2);
      const failed = await client.recordQualityCheck(
        { ...base, idempotencyKey: key("qc"), quantity: 2, outcome: 3 },
        as("ops"),
      );
      expect(Number(failed.level?.qualityControl)).toBe(0);
      expect(Number(failed.level?.damaged)).toBe(2);
      const err = await failure(
        client.recordQualityCheck({ ...base, idempotencyKey: key("qc"), quantity: 5, outcome: 1 }, as("ops")),
      );
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(await stockOf("QC-1")).toMatchObject({ onHand: 1 });
    });
  });

  describe("idempotency keys are scoped to the caller", () => {
    // A second storefront: same role, another token subject.
    let otherStorefront: { metadata: { authorization: string } };
    beforeAll(async () => {
      const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
      const token = await issuer.issue({ subject: "test-storefront-2", roles: ["storefront"] });
      otherStorefront = { metadata: { authorization: `Bearer ${token}` } };
    });

    it("two storefronts sending the same key and body get two reservations; each replays its own", async () => {
      await receive(fx.useCases, "W1", [{ sku: "SCOPE-1", quantity: 10 }]);
      const request = reserveRequest("SCOPE-1", {
        lines: [{ sku: "SCOPE-1", quantity: 3, warehouseCode: "W1" }],
      });

      const first = await client.reserve(request, as("storefront"));
      const second = await client.reserve(request, otherStorefront);
      const firstId = first.reservation?.reservationId ?? "";
      const secondId = second.reservation?.reservationId ?? "";
      expect(firstId).not.toBe("");
      expect(secondId).not.toBe("");
      expect(secondId).not.toBe(firstId);
      expect(await stockOf("SCOPE-1")).toEqual({ onHand: 10, reserved: 6, committed: 0, available: 4 });

      const firstAgain = await client.reserve(request, as("storefront"));
      const secondAgain = await client.reserve(request, otherStorefront);
      expect(firstAgain.reservation?.reservationId).toBe(firstId);
      expect(secondAgain.reservation?.reservationId).toBe(secondId);
      expect(await stockOf("SCOPE-1")).toEqual({ onHand: 10, reserved: 6, committed: 0, available: 4 });

      // A different body under the key is still refused for the caller that used it.
      const reused = await failure(
        client.reserve(
          reserveRequest("SCOPE-1", {
            idempotencyKey: request.idempotencyKey,
            reference: request.reference,
            lines: [{ sku: "SCOPE-1", quantity: 1, warehouseCode: "W1" }],
          }),
          otherStorefront,
        ),
      );
      expect(reused.code).toBe(status.FAILED_PRECONDITION);
      expect(await stockOf("SCOPE-1")).toEqual({ onHand: 10, reserved: 6, committed: 0, available: 4 });
    });

    it("two storefronts racing with the same key and body both reserve", async () => {
      await receive(fx.useCases, "W1", [{ sku: "SCOPE-2", quantity: 10 }]);
      const request = reserveRequest("SCOPE-2", {
        lines: [{ sku: "SCOPE-2", quantity: 2, warehouseCode: "W1" }],
      });
      const calls = Array.from({ length: 4 }, (_, i) =>
        client.reserve(request, i % 2 === 0 ? as("storefront") : otherStorefront),
      );
      const answers = await Promise.all(calls);
      const ids = answers.map((answer) => answer.reservation?.reservationId ?? "");
      // Each caller's two sends are one reservation; the two callers' are two.
      expect(ids[0]).toBe(ids[2]);
      expect(ids[1]).toBe(ids[3]);
      expect(ids[0]).not.toBe(ids[1]);
      expect(ids.every((id) => id !== "")).toBe(true);
      expect(await stockOf("SCOPE-2")).toEqual({ onHand: 10, reserved: 4, committed: 0, available: 6 });
    });
  });
});
