// The README's curl calls, as a test: WarehouseService over plain HTTP/1.1 JSON on the Connect port (no
// Connect client, just fetch with content-type application/json and a bearer token). Answers are the
// protobuf JSON mapping; errors are Connect error JSON with the gRPC port's codes and details.
import { fromBinary } from "@bufbuild/protobuf";
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { type ApiServers, createGrpcServer, type GrpcServer, startApiServers } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { BadRequestSchema } from "@stockroom/proto/google/rpc/error_details_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TTL_POLICY } from "../src/domain/reservation-ttl.ts";
import { createWarehouseHandler, WAREHOUSE_POLICY } from "../src/transport/grpc/warehouse.handler.ts";
import {
  createWarehouseFixture,
  insertWarehouse,
  receive,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

const SECRET = "http-json-contract-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };
const GET_STOCK = "/stockroom.warehouse.v1.WarehouseService/GetStock";

let fx: WarehouseFixture;
let server: GrpcServer;
let api: ApiServers;
let token: string;

beforeAll(async () => {
  fx = await createWarehouseFixture({ poolMax: 4 });
  await insertWarehouse(fx.db, "WJ1");
  await receive(fx.useCases, "WJ1", [{ sku: "JSON-1", quantity: 10 }]);
  server = createGrpcServer({
    logger: createLogger({ service: "warehouse-http-json", level: "silent" }),
    registry: createMetricsRegistry({ service: "warehouse-http-json", collectDefaults: false }),
    verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
  });
  server.register(
    WarehouseService,
    createWarehouseHandler(fx.useCases, DEFAULT_TTL_POLICY),
    WAREHOUSE_POLICY,
  );
  api = await startApiServers(server, {
    logger: createLogger({ service: "warehouse-http-json", level: "silent" }),
    host: "127.0.0.1",
    grpcPort: 0,
    httpPort: 0,
  });
  token = await createTokenIssuer({ secret: SECRET, ...AUTH }).issue({
    subject: "shop-1",
    roles: ["storefront"],
  });
});

afterAll(async () => {
  await api?.shutdown(1_000);
  await fx?.drop();
});

function curl(path: string, body: unknown, authorization = `Bearer ${token}`) {
  return fetch(`http://127.0.0.1:${api.httpPort}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify(body),
  });
}

describe("WarehouseService over HTTP/1.1 JSON", () => {
  it("GetStock answers the protobuf JSON mapping (64-bit numbers as strings)", async () => {
    const res = await curl(GET_STOCK, { sku: "JSON-1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      stock: { sku: string; totalAvailable: string; levels: { warehouseCode: string; onHand: string }[] };
    };
    expect(body.stock.sku).toBe("JSON-1");
    expect(body.stock.totalAvailable).toBe("10");
    expect(body.stock.levels).toMatchObject([{ warehouseCode: "WJ1", onHand: "10" }]);
  });

  it("a bad sku → HTTP 400 invalid_argument naming sku in the message and the BadRequest detail", async () => {
    const res = await curl(GET_STOCK, { sku: "bad sku!" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      code: string;
      message: string;
      details: { type: string; value: string; debug: unknown }[];
    };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("sku");
    const badRequest = body.details.find((d) => d.type === "google.rpc.BadRequest");
    const decoded = fromBinary(BadRequestSchema, Buffer.from(badRequest?.value ?? "", "base64"));
    expect(decoded.fieldViolations.map((v) => v.field)).toEqual(["sku"]);
    expect(body.details.map((d) => d.type)).toEqual([
      "google.rpc.ErrorInfo",
      "google.rpc.BadRequest",
      "google.rpc.RequestInfo",
    ]);
  });

  it("a bad token → HTTP 401 unauthenticated; a malformed JSON body → HTTP 400 invalid_argument", async () => {
    const unauthenticated = await curl(GET_STOCK, { sku: "JSON-1" }, "Bearer forged");
    expect(unauthenticated.status).toBe(401);
    expect(((await unauthenticated.json()) as { code: string }).code).toBe("unauthenticated");
    const malformed = await fetch(`http://127.0.0.1:${api.httpPort}${GET_STOCK}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: '{"sku": ',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { code: string }).code).toBe("invalid_argument");
  });
});
