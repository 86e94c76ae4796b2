// The Connect port: the EchoService registered on a gRPC server, called over plain HTTP/1.1 JSON (as
// curl does), the Connect protocol over HTTP/1.1 and HTTP/2, gRPC-Web and gRPC, with CORS, deadlines
// and graceful shutdown. Same pipeline as the gRPC port: same auth, error details, request ids, metrics.
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient as createConnectRpcClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { status } from "@grpc/grpc-js";
import { invalidArguments } from "@stockroom/errors";
import { createLogger } from "@stockroom/logging";
import { BadRequestSchema, ErrorInfoSchema } from "@stockroom/proto/google/rpc/error_details_pb.js";
import { ErrorDetailSchema } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { EchoService } from "@stockroom/proto/stockroom/testing/v1/echo_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ConnectServer,
  createConnectClient,
  createConnectServer,
  ERROR_DETAIL_METADATA_KEY,
  GrpcCallError,
} from "../src/index.ts";
import { echoImpl, startEchoServer, type TestServer } from "./echo-server.ts";

const ECHO = "/stockroom.testing.v1.EchoService/Echo";
const ALLOWED_ORIGIN = "https://admin.stockroom.test";

interface Harness {
  t: TestServer;
  connect: ConnectServer;
  baseUrl: string;
  token: string;
}

let current: Harness | undefined;
afterEach(async () => {
  await current?.connect.shutdown(1_000);
  await current?.t.close();
  current = undefined;
});

async function start(overrides: Parameters<typeof echoImpl>[0] = {}): Promise<Harness> {
  const t = await startEchoServer(echoImpl(overrides));
  const connect = createConnectServer(t.server, {
    logger: createLogger({ service: "connect-test", level: "silent" }),
    corsAllowedOrigins: [ALLOWED_ORIGIN],
  });
  const port = await connect.start("127.0.0.1", 0);
  const token = await t.tokens.issue({ subject: "ops-1", roles: ["ops"] });
  current = { t, connect, baseUrl: `http://127.0.0.1:${port}`, token };
  return current;
}

// What curl sends: a POST of JSON over HTTP/1.1 (Node's fetch speaks HTTP/1.1).
function postJson(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${h.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

interface ConnectErrorJson {
  code: string;
  message: string;
  details?: { type: string; value: string; debug?: unknown }[];
}

describe("plain HTTP/1.1 JSON (curl)", () => {
  it("a call with a bearer token answers JSON from the same handler, principal and request id", async () => {
    const h = await start();
    const res = await postJson(
      h,
      ECHO,
      { message: "hi" },
      { authorization: `Bearer ${h.token}`, "x-request-id": "req-http-1" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("req-http-1");
    expect(await res.json()).toEqual({ message: "hi", subject: "ops-1", requestId: "req-http-1" });
    // The gRPC port's metrics and log line, from the one pipeline.
    expect(await h.t.registry.getSingleMetricAsString("grpc_server_handled_total")).toContain(
      'grpc_service="stockroom.testing.v1.EchoService",grpc_method="Echo",grpc_code="OK"} 1',
    );
    expect(h.t.logLines.find((l) => l.msg === "rpc handled" && l.requestId === "req-http-1")).toMatchObject({
      code: "OK",
      rpc: ECHO,
    });
  });

  it("a bad token → 401 with Connect error JSON: unauthenticated, ErrorInfo and the request id", async () => {
    const h = await start();
    const res = await postJson(h, ECHO, { message: "hi" }, { authorization: "Bearer not-a-token" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as ConnectErrorJson;
    expect(body.code).toBe("unauthenticated");
    expect(body.message).not.toBe("");
    const types = body.details?.map((d) => d.type);
    expect(types).toEqual(["google.rpc.ErrorInfo", "google.rpc.RequestInfo"]);
    const info = fromBinary(ErrorInfoSchema, Buffer.from(body.details?.[0]?.value ?? "", "base64"));
    expect(info.domain).toBe("stockroom");
    expect(body.details?.[0]?.debug).toMatchObject({ domain: "stockroom" });
    expect(res.headers.get("x-request-id")).toMatch(/.+/);
  });

  it("no token → unauthenticated; nothing reaches the handler", async () => {
    let called = false;
    const h = await start({
      async echo(req) {
        called = true;
        return { message: req.message, subject: "", requestId: "" };
      },
    });
    const res = await postJson(h, ECHO, { message: "hi" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ConnectErrorJson).code).toBe("unauthenticated");
    expect(called).toBe(false);
  });

  it("bad input → 400 invalid_argument with the BadRequest detail naming every field", async () => {
    const h = await start({
      async echo() {
        throw invalidArguments([
          { field: "message", description: "must not be empty" },
          { field: "subject", description: "must be lower case" },
        ]);
      },
    });
    const res = await postJson(h, ECHO, { message: "" }, { authorization: `Bearer ${h.token}` });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ConnectErrorJson;
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("message");
    const badRequest = body.details?.find((d) => d.type === "google.rpc.BadRequest");
    expect(badRequest).toBeDefined();
    const decoded = fromBinary(BadRequestSchema, Buffer.from(badRequest?.value ?? "", "base64"));
    expect(decoded.fieldViolations.map((v) => [v.field, v.reason])).toEqual([
      ["message", "VALIDATION_FAILED"],
      ["subject", "VALIDATION_FAILED"],
    ]);
    expect(badRequest?.debug).toMatchObject({
      fieldViolations: [{ field: "message" }, { field: "subject" }],
    });
    // The ErrorDetail of the gRPC trailer travels as a header.
    const detail = fromBinary(
      ErrorDetailSchema,
      Buffer.from(res.headers.get(ERROR_DETAIL_METADATA_KEY) ?? "", "base64"),
    );
    expect(detail.field).toBe("message");
  });

  it("an unknown method → 404", async () => {
    const h = await start();
    const res = await postJson(h, "/stockroom.testing.v1.EchoService/Nope", {});
    expect(res.status).toBe(404);
  });
});

describe("CORS", () => {
  it("a preflight from an allowed origin is answered with the Connect and app headers", async () => {
    const h = await start();
    const res = await fetch(`${h.baseUrl}${ECHO}`, {
      method: "OPTIONS",
      headers: {
        origin: ALLOWED_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,authorization,connect-protocol-version",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(",");
    expect(allowed).toEqual(
      expect.arrayContaining(["authorization", "connect-protocol-version", "content-type"]),
    );
  });

  it("a preflight from another origin gets no allow-origin; a call from the allowed one exposes x-request-id", async () => {
    const h = await start();
    const other = await fetch(`${h.baseUrl}${ECHO}`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.test", "access-control-request-method": "POST" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const call = await postJson(
      h,
      ECHO,
      { message: "hi" },
      { authorization: `Bearer ${h.token}`, origin: ALLOWED_ORIGIN },
    );
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    expect(call.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });
});

describe("Connect, gRPC-Web and gRPC clients on the HTTP port", () => {
  it("Connect JSON over HTTP/1.1: unary and server streaming; errors as GrpcCallError with details", async () => {
    const h = await start();
    const transport = createConnectTransport({ baseUrl: h.baseUrl, httpVersion: "1.1" });
    const client = createConnectClient(EchoService, transport, { token: h.token });
    expect((await client.echo({ message: "a" })).subject).toBe("ops-1");
    const streamed: number[] = [];
    for await (const m of client.echoStream({ message: "s", count: 5 })) streamed.push(m.index);
    expect(streamed).toEqual([0, 1, 2, 3, 4]);
    const anonymous = createConnectClient(EchoService, transport);
    const err = await anonymous.echo({ message: "a" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcCallError);
    expect((err as GrpcCallError).code).toBe(status.UNAUTHENTICATED);
    expect((err as GrpcCallError).statusDetails?.errorInfo?.domain).toBe("stockroom");
  });

  it("Connect binary over HTTP/2: client streaming and bidi streaming", async () => {
    const h = await start();
    const transport = createConnectTransport({ baseUrl: h.baseUrl, httpVersion: "2", useBinaryFormat: true });
    const client = createConnectClient(EchoService, transport, { token: h.token });
    const collected = await client.echoCollect([{ message: "x" }, { message: "y" }, { message: "z" }]);
    expect(collected.messages).toEqual(["x", "y", "z"]);
    const replies: string[] = [];
    for await (const m of client.echoChat([{ message: "1" }, { message: "2" }])) replies.push(m.message);
    expect(replies).toEqual(["re: 1", "re: 2"]);
  });

  it("Connect over HTTP/1.1: client streaming works (half duplex); bidi streaming is refused with HTTP 505", async () => {
    const h = await start();
    const transport = createConnectTransport({ baseUrl: h.baseUrl, httpVersion: "1.1" });
    const client = createConnectClient(EchoService, transport, { token: h.token });
    expect((await client.echoCollect([{ message: "a" }, { message: "b" }])).messages).toEqual(["a", "b"]);
    const chat = async () => {
      for await (const _ of client.echoChat([{ message: "1" }])) return;
    };
    const err = await chat().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcCallError);
    expect((err as GrpcCallError).details).toContain("505");
  });

  it("gRPC-Web over HTTP/1.1 and gRPC over HTTP/2 reach the same handler; gRPC errors carry the status details", async () => {
    const h = await start();
    const web = createConnectRpcClient(
      EchoService,
      createGrpcWebTransport({ baseUrl: h.baseUrl, httpVersion: "1.1" }),
    );
    const headers = { authorization: `Bearer ${h.token}` };
    expect((await web.echo({ message: "w" }, { headers })).message).toBe("w");
    const grpc = createConnectRpcClient(EchoService, createGrpcTransport({ baseUrl: h.baseUrl }));
    expect((await grpc.echo({ message: "g" }, { headers })).subject).toBe("ops-1");
    const err = ConnectError.from(await grpc.echo({ message: "g" }).catch((e: unknown) => e));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.findDetails(ErrorInfoSchema)[0]?.domain).toBe("stockroom");
  });

  it("the client's timeout becomes the handler's deadline; a call past it ends deadline_exceeded", async () => {
    let seenDeadline: Date | undefined;
    const h = await start({
      async echo(req, ctx) {
        seenDeadline = ctx.deadline;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { message: req.message, subject: "", requestId: "" };
      },
    });
    const before = Date.now();
    const res = await postJson(
      h,
      ECHO,
      { message: "slow" },
      { authorization: `Bearer ${h.token}`, "connect-timeout-ms": "100" },
    );
    expect(((await res.json()) as ConnectErrorJson).code).toBe("deadline_exceeded");
    expect(seenDeadline).toBeDefined();
    expect(seenDeadline?.getTime()).toBeGreaterThanOrEqual(before + 50);
    expect(seenDeadline?.getTime()).toBeLessThanOrEqual(Date.now() + 100);
    // The handler finished after the deadline: the access log says what the client got, not OK.
    await expect
      .poll(() => h.t.logLines.find((line) => line.msg === "rpc handled" && line.rpc === ECHO)?.code)
      .toBe("DEADLINE_EXCEEDED");
  });
});

describe("streams through the pipeline", () => {
  it("a server stream failing half way: the client gets the messages sent, then the mapped error; one log line", async () => {
    const h = await start({
      async *echoStream(req) {
        yield { message: req.message, index: 0 };
        yield { message: req.message, index: 1 };
        throw invalidArguments([{ field: "count", description: "too many" }]);
      },
    });
    const transport = createConnectTransport({ baseUrl: h.baseUrl, httpVersion: "1.1" });
    const client = createConnectClient(EchoService, transport, { token: h.token });
    const got: number[] = [];
    const err = await (async () => {
      for await (const m of client.echoStream(
        { message: "s", count: 9 },
        { metadata: { "x-request-id": "req-s-1" } },
      ))
        got.push(m.index);
    })().catch((e: unknown) => e);
    expect(got).toEqual([0, 1]);
    expect(err).toBeInstanceOf(GrpcCallError);
    expect((err as GrpcCallError).code).toBe(status.INVALID_ARGUMENT);
    expect((err as GrpcCallError).statusDetails?.badRequest?.fieldViolations[0]?.field).toBe("count");
    const lines = h.t.logLines.filter((l) => l.msg === "rpc handled" && l.requestId === "req-s-1");
    expect(lines).toMatchObject([
      { code: "INVALID_ARGUMENT", rpc: "/stockroom.testing.v1.EchoService/EchoStream" },
    ]);
  });

  it("a client that stops reading a long stream ends it: the handler sees its signal aborted", async () => {
    let aborted: Promise<void> | undefined;
    const h = await start({
      async *echoStream(req, ctx) {
        aborted = new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        for (let index = 0; ; index++) {
          if (ctx.signal.aborted) return;
          yield { message: req.message, index };
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
    });
    const transport = createConnectTransport({ baseUrl: h.baseUrl, httpVersion: "2" });
    const client = createConnectClient(EchoService, transport, { token: h.token });
    for await (const m of client.echoStream({ message: "s", count: 0 })) if (m.index === 3) break;
    await expect(aborted).resolves.toBeUndefined();
  });
});

describe("shutdown", () => {
  it("an HTTP/2 call in flight finishes after shutdown began", async () => {
    let release: () => void = () => undefined;
    const h = await start({
      async echo(req) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { message: req.message, subject: "", requestId: "" };
      },
    });
    const transport = createConnectTransport({ baseUrl: h.baseUrl, httpVersion: "2" });
    const client = createConnectClient(EchoService, transport, { token: h.token });
    const inFlight = client.echo({ message: "h2-late" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = h.connect.shutdown(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect((await inFlight).message).toBe("h2-late");
    await stopped;
  });

  it("calls still running when the grace period ends are cancelled and the port closes", async () => {
    const h = await start({
      async echo(_req, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return { message: "never", subject: "", requestId: "" };
      },
    });
    const inFlight = postJson(h, ECHO, { message: "stuck" }, { authorization: `Bearer ${h.token}` }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as ConnectErrorJson }),
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = Date.now();
    await h.connect.shutdown(300);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    const outcome = await inFlight;
    // The cancelled call answers UNAVAILABLE (retry elsewhere), never the handler's late success.
    expect(outcome).toEqual({
      status: 503,
      body: { code: "unavailable", message: "the server is shutting down" },
    });
    await expect(postJson(h, ECHO, { message: "after" })).rejects.toThrow();
  });

  it("an in-flight call finishes, then the port refuses connections", async () => {
    let release: () => void = () => undefined;
    const h = await start({
      async echo(req) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { message: req.message, subject: "", requestId: "" };
      },
    });
    const inFlight = postJson(h, ECHO, { message: "late" }, { authorization: `Bearer ${h.token}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = h.connect.shutdown(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { message: string }).message).toBe("late");
    await stopped;
    await expect(postJson(h, ECHO, { message: "after" })).rejects.toThrow();
  });
});
