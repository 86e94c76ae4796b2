// ListReservations over gRPC and Connect: the ops lookup by reference and by status, newest first, in cursor pages
// that neither repeat nor skip a reservation; bad filters are refused naming the field.
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { ReservationStatus } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { CONTRACT_TRANSPORTS, type ContractEndpoint, startContractEndpoint } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWarehouseAdminHandler,
  WAREHOUSE_ADMIN_POLICY,
} from "../src/transport/grpc/warehouse-admin.handler.ts";
import {
  CONTEXT,
  createWarehouseFixture,
  insertWarehouse,
  key,
  receive,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

const SECRET = "lookup-test-secret-0123456789abcdef-xyz";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

let fx: WarehouseFixture;
let server: GrpcServer;
let endpoint: ContractEndpoint;
let client: TypedClient<typeof WarehouseAdminService>;
let ops: { metadata: Record<string, string> };
let storefront: { metadata: Record<string, string> };

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    fx = await createWarehouseFixture({ poolMax: 4 });
    await insertWarehouse(fx.db, "W1");
    await receive(fx.useCases, "W1", [{ sku: "LOOK-1", quantity: 1_000 }]);
    server = createGrpcServer({
      logger: createLogger({ service: "reservation-lookup", level: "silent" }),
      registry: createMetricsRegistry({ service: "reservation-lookup", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(
      WarehouseAdminService,
      createWarehouseAdminHandler(fx.useCases.admin),
      WAREHOUSE_ADMIN_POLICY,
    );
    endpoint = await startContractEndpoint(server, transport);
    client = endpoint.client(WarehouseAdminService);
    const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
    ops = {
      metadata: { authorization: `Bearer ${await issuer.issue({ subject: "ops-1", roles: ["ops"] })}` },
    };
    storefront = {
      metadata: { authorization: `Bearer ${await issuer.issue({ subject: "shop", roles: ["storefront"] })}` },
    };
  });

  afterAll(async () => {
    await endpoint?.close();
    await fx?.drop();
  });

  async function reserve(referenceType: string, referenceId: string): Promise<string> {
    const result = await fx.useCases.reserve(
      {
        idempotencyKey: key("lookup"),
        reference: { type: referenceType, id: referenceId },
        lines: [{ sku: "LOOK-1", quantity: 1, warehouseCode: "W1" }],
        paymentMethod: "card",
        allowPartial: false,
        allowSplit: false,
        ttlMs: undefined,
        destination: undefined,
      },
      CONTEXT,
    );
    const id = result.reservation?.reservationId;
    if (!id) throw new Error("expected a reservation");
    return id;
  }

  async function allPages(request: Parameters<typeof client.listReservations>[0], pageSize: number) {
    const ids: string[] = [];
    let pageToken = "";
    for (let pages = 0; pages < 50; pages++) {
      const page = await client.listReservations({ ...request, pageSize, pageToken }, ops);
      ids.push(...page.reservations.map((r) => r.reservationId));
      expect(page.reservations.length).toBeLessThanOrEqual(pageSize);
      if (page.nextPageToken === "") return ids;
      pageToken = page.nextPageToken;
    }
    throw new Error("too many pages");
  }

  describe("ListReservations", () => {
    it("finds a reference's reservations, newest first, across pages without repeats or gaps", async () => {
      const cart = key("cart");
      const mine: string[] = [];
      for (let i = 0; i < 7; i++) mine.push(await reserve("cart", cart));
      await reserve("cart", key("other-cart"));
      await reserve("order", cart); // same id, other type
      const found = await allPages({ reference: { type: "cart", id: cart } }, 3);
      expect(found).toEqual([...mine].reverse());
      const first = await client.listReservations(
        { reference: { type: "cart", id: cart }, pageSize: 2 },
        ops,
      );
      expect(first.reservations[0]).toMatchObject({
        reference: { type: "cart", id: cart },
        status: ReservationStatus.ACTIVE,
        lines: [
          { lineNumber: 1, sku: "LOOK-1", quantity: 1, allocations: [{ warehouseCode: "W1", quantity: 1 }] },
        ],
      });
    });

    it("finds by status, and by reference and status together", async () => {
      const cart = key("cart");
      const kept = await reserve("cart", cart);
      const released = await reserve("cart", cart);
      await fx.useCases.release(
        { idempotencyKey: key("rel"), reservationId: released, reason: "test" },
        CONTEXT,
      );
      const byBoth = await allPages(
        { reference: { type: "cart", id: cart }, status: ReservationStatus.RELEASED },
        10,
      );
      expect(byBoth).toEqual([released]);
      const activeOfCart = await allPages(
        { reference: { type: "cart", id: cart }, status: ReservationStatus.ACTIVE },
        10,
      );
      expect(activeOfCart).toEqual([kept]);
      const allReleased = await allPages({ status: ReservationStatus.RELEASED }, 1);
      expect(allReleased).toContain(released);
      expect(allReleased).not.toContain(kept);
      const statuses = await client.listReservations(
        { status: ReservationStatus.RELEASED, pageSize: 100 },
        ops,
      );
      expect(new Set(statuses.reservations.map((r) => r.status))).toEqual(
        new Set([ReservationStatus.RELEASED]),
      );
    });

    it("refuses bad filters naming each field, a foreign page token, and callers without an ops role", async () => {
      const bad = await client
        .listReservations({ reference: { type: "Bad Type", id: "" }, status: 99 as ReservationStatus }, ops)
        .catch((e: unknown) => e);
      if (!isGrpcCallError(bad)) throw new Error("expected a gRPC error");
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        "reference.type",
        "reference.id",
        "status",
      ]);
      const token = await client.listReservations({ pageToken: "bm90LW91cnM" }, ops).catch((e: unknown) => e);
      expect(isGrpcCallError(token) && token.errorDetail?.field).toBe("page_token");
      const denied = await client.listReservations({}, storefront).catch((e: unknown) => e);
      expect(isGrpcCallError(denied) && denied.code).toBe(status.PERMISSION_DENIED);
    });
  });
});
