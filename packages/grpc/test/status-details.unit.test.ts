// The standard error details (google.rpc.Status in grpc-status-details-bin) as a client of any
// language decodes them, and the request id in the trailers of successful calls too.
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Metadata, status } from "@grpc/grpc-js";
import {
  collectViolations,
  ErrorReason,
  failedPrecondition,
  invalidArgument,
  notFound,
} from "@stockroom/errors";
import { BadRequestSchema, ErrorInfoSchema } from "@stockroom/proto/google/rpc/error_details_pb.js";
import { StatusSchema } from "@stockroom/proto/google/rpc/status_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { ERROR_DOMAIN, GrpcCallError, STATUS_DETAILS_METADATA_KEY } from "../src/index.ts";
import { echoImpl, startEchoServer, type TestServer } from "./echo-server.ts";

let current: TestServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(overrides: Parameters<typeof echoImpl>[0] = {}): Promise<TestServer> {
  current = await startEchoServer(echoImpl(overrides));
  return current;
}

async function failure(promise: Promise<unknown>): Promise<GrpcCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrpcCallError);
  return err as GrpcCallError;
}

async function opsClient(t: TestServer) {
  return t.client({ token: await t.tokens.issue({ subject: "ops-1", roles: ["ops"] }) });
}

describe("grpc-status-details-bin", () => {
  it("lists every field violation in BadRequest, with ErrorInfo and the request id", async () => {
    const t = await start({
      async echo(request) {
        return collectViolations((check) => ({
          message: check(() => {
            if (request.message === "") throw invalidArgument("message", "message is required");
            return request.message;
          }),
          a: check(() => {
            throw invalidArgument("lines[0].quantity", "lines[0].quantity must be positive");
          }),
          b: check(() => {
            throw invalidArgument("lines[1].sku", "lines[1].sku is required");
          }),
          subject: "",
          requestId: "",
        }));
      },
    });
    const client = await opsClient(t);
    const err = await failure(client.echo({ message: "" }, { metadata: { "x-request-id": "req-bad-1" } }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    // Decoded by hand, as a client without our helpers would.
    const raw = err.metadata.get(STATUS_DETAILS_METADATA_KEY)[0];
    expect(raw).toBeInstanceOf(Buffer);
    const rpcStatus = fromBinary(StatusSchema, raw as Buffer);
    expect(rpcStatus.code).toBe(status.INVALID_ARGUMENT);
    expect(rpcStatus.message).toBe(err.details);
    const typeUrls = rpcStatus.details.map((d) => d.typeUrl);
    expect(typeUrls).toContain("type.googleapis.com/google.rpc.ErrorInfo");
    expect(typeUrls).toContain("type.googleapis.com/google.rpc.BadRequest");
    const badRequestAny = rpcStatus.details.find((d) => d.typeUrl.endsWith("google.rpc.BadRequest"));
    const badRequest = badRequestAny && anyUnpack(badRequestAny, BadRequestSchema);
    expect(badRequest?.fieldViolations.map((v) => [v.field, v.description])).toEqual([
      ["message", "message is required"],
      ["lines[0].quantity", "lines[0].quantity must be positive"],
      ["lines[1].sku", "lines[1].sku is required"],
    ]);
    const infoAny = rpcStatus.details.find((d) => d.typeUrl.endsWith("google.rpc.ErrorInfo"));
    const info = infoAny && anyUnpack(infoAny, ErrorInfoSchema);
    expect(info).toMatchObject({ reason: "VALIDATION_FAILED", domain: ERROR_DOMAIN });
    expect(err.statusDetails?.requestInfo?.requestId).toBe("req-bad-1");
    // The legacy detail still names the first field.
    expect(err.errorDetail?.field).toBe("message");
  });

  it("carries ErrorInfo with reason and metadata and PreconditionFailure for a failed precondition", async () => {
    const t = await start({
      async echo() {
        throw failedPrecondition(ErrorReason.INSUFFICIENT_STOCK, "not enough stock", {
          sku: "A-1",
          available: "3",
        });
      },
    });
    const err = await failure((await opsClient(t)).echo({ message: "x" }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const details = err.statusDetails;
    expect(details?.errorInfo).toMatchObject({
      reason: "INSUFFICIENT_STOCK",
      domain: ERROR_DOMAIN,
      metadata: { sku: "A-1", available: "3" },
    });
    expect(details?.preconditionFailure?.violations).toMatchObject([
      { type: "INSUFFICIENT_STOCK", subject: "sku/A-1/available/3", description: "not enough stock" },
    ]);
    expect(details?.badRequest).toBeUndefined();
  });

  it("gives a not-found error its ErrorInfo and no BadRequest or PreconditionFailure", async () => {
    const t = await start({
      async echo() {
        throw notFound(ErrorReason.SKU_NOT_FOUND, "no sku A-1", { sku: "A-1" });
      },
    });
    const err = await failure((await opsClient(t)).echo({ message: "x" }));
    expect(err.statusDetails?.errorInfo?.reason).toBe("SKU_NOT_FOUND");
    expect(err.statusDetails?.badRequest).toBeUndefined();
    expect(err.statusDetails?.preconditionFailure).toBeUndefined();
  });

  it("gives an internal error only generic details", async () => {
    const t = await start({
      async echo() {
        throw new Error("secret");
      },
    });
    const err = await failure((await opsClient(t)).echo({ message: "x" }));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.statusDetails?.status.message).not.toContain("secret");
    expect(err.statusDetails?.errorInfo?.reason).toBe("INTERNAL");
  });
});

describe("request id on success", () => {
  it("sends x-request-id in the trailers of a successful call", async () => {
    const t = await start();
    let trailers: Metadata | undefined;
    const client = await opsClient(t);
    await client.echo(
      { message: "hi" },
      { metadata: { "x-request-id": "req-ok-1" }, onTrailers: (m) => (trailers = m) },
    );
    expect(trailers?.get("x-request-id")).toEqual(["req-ok-1"]);
  });
});
