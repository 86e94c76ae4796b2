import { createRequire } from "node:module";
import path from "node:path";
import { credentials, loadPackageDefinition, status } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { aborted, ErrorReason, failedPrecondition, invalidArgument, unavailable } from "@stockroom/errors";
import { createLogger } from "@stockroom/logging";
import { Health, HealthCheckResponse_ServingStatus } from "@stockroom/proto/grpc/health/v1/health_pb.js";
import {
  EchoResponseSchema,
  EchoService,
  EchoStreamResponseSchema,
  PublicEchoResponseSchema,
} from "@stockroom/proto/stockroom/testing/v1/echo_pb.js";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import {
  createClient,
  createGrpcServer,
  EncodedMessage,
  GrpcCallError,
  HEALTH_SERVICE_NAME,
} from "../src/index.ts";
import { echoImpl, echoPolicy, startEchoServer, type TestServer } from "./echo-server.ts";

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

async function opsToken(t: TestServer): Promise<string> {
  return t.tokens.issue({ subject: "ops-1", roles: ["ops"] });
}

describe("unary calls", () => {
  it("succeeds with the principal and request id reaching the handler", async () => {
    const t = await start();
    const client = t.client({ token: await opsToken(t) });
    const res = await client.echo({ message: "hi" }, { metadata: { "x-request-id": "req-42" } });
    expect(res.message).toBe("hi");
    expect(res.subject).toBe("ops-1");
    expect(res.requestId).toBe("req-42");
    const metrics = await t.registry.getSingleMetricAsString("grpc_server_handled_total");
    expect(metrics).toContain(
      'grpc_service="stockroom.testing.v1.EchoService",grpc_method="Echo",grpc_code="OK"',
    );
    expect(await t.registry.getSingleMetricAsString("grpc_server_started_total")).toContain(
      'grpc_server_started_total{grpc_service="stockroom.testing.v1.EchoService",grpc_method="Echo"} 1',
    );
  });

  it("logs the call and the handler's lines with its request id and RPC name", async () => {
    const t = await start({
      async echo(req, ctx) {
        ctx.logger.info({ step: "inside" }, "handler line");
        return { message: req.message, subject: "", requestId: ctx.requestId };
      },
    });
    const client = t.client({ token: await opsToken(t) });
    await client.echo({ message: "hi" }, { metadata: { "x-request-id": "req-log-1" } });
    const handlerLine = t.logLines.find((line) => line.msg === "handler line");
    expect(handlerLine).toMatchObject({
      requestId: "req-log-1",
      rpc: "/stockroom.testing.v1.EchoService/Echo",
    });
    const handled = t.logLines.find((line) => line.msg === "rpc handled" && line.requestId === "req-log-1");
    expect(handled).toMatchObject({ code: "OK", rpc: "/stockroom.testing.v1.EchoService/Echo" });
  });

  it("maps invalid_argument to INVALID_ARGUMENT naming the field, with an ErrorDetail", async () => {
    const t = await start({
      async echo() {
        throw invalidArgument("message", "must not be empty");
      },
    });
    const err = await failure(t.client({ token: await opsToken(t) }).echo({ message: "" }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe("message: must not be empty");
    expect(err.errorDetail?.field).toBe("message");
    expect(err.reason).toBe(ErrorReason.VALIDATION_FAILED);
  });

  it("carries reason and metadata of a domain error", async () => {
    const t = await start({
      async echo() {
        throw failedPrecondition(ErrorReason.INSUFFICIENT_STOCK, "not enough stock", { available: "3" });
      },
    });
    const err = await failure(t.client({ token: await opsToken(t) }).echo({ message: "x" }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    expect(err.errorDetail?.metadata).toEqual({ available: "3" });
  });

  it("maps aborted to ABORTED", async () => {
    const t = await start({
      async echo() {
        throw aborted("serialization failure");
      },
    });
    const err = await failure(t.client({ token: await opsToken(t) }).echo({ message: "x" }));
    expect(err.code).toBe(status.ABORTED);
    expect(err.reason).toBe(ErrorReason.CONCURRENT_MODIFICATION);
  });

  it("turns an unknown error into INTERNAL without its message or stack, and logs it", async () => {
    const t = await start({
      async echo() {
        throw new Error("secret db password in message");
      },
    });
    const err = await failure(t.client({ token: await opsToken(t) }).echo({ message: "x" }));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toMatch(/^internal error \(request [\w-]+\)$/);
    expect(err.details).not.toContain("secret");
    expect(err.details).not.toContain("at ");
    expect(err.reason).toBe(ErrorReason.INTERNAL);
    const logged = t.logLines.find((line) => line.msg === "rpc failed");
    expect(JSON.stringify(logged)).toContain("secret db password in message");
  });
});

describe("pre-encoded responses", () => {
  it("sends a handler's EncodedMessage as it is, to every call it answers", async () => {
    const encoded = EncodedMessage.encode(EchoResponseSchema, {
      message: "encoded once",
      subject: "s",
      requestId: "r",
    });
    const before = Buffer.from(encoded.bytes);
    const t = await start({
      async echo() {
        return encoded;
      },
      async *echoStream() {
        yield EncodedMessage.encode(EchoStreamResponseSchema, { message: "streamed", index: 7 });
      },
    });
    const client = t.client({ token: await opsToken(t) });
    for (let call = 0; call < 2; call++) {
      const res = await client.echo({ message: "ignored" });
      expect(res).toMatchObject({ message: "encoded once", subject: "s", requestId: "r" });
    }
    expect(encoded.bytes.equals(before)).toBe(true);
    const streamed: { message: string; index: number }[] = [];
    for await (const res of client.echoStream({ message: "m", count: 1 })) streamed.push(res);
    expect(streamed).toMatchObject([{ message: "streamed", index: 7 }]);
  });

  it("refuses bytes of another message type with INTERNAL", async () => {
    const t = await start({
      async echo() {
        // The types refuse it too; only a cast gets it this far.
        return EncodedMessage.encode(PublicEchoResponseSchema, { message: "x" }) as never;
      },
    });
    const err = await failure(t.client({ token: await opsToken(t) }).echo({ message: "hi" }));
    expect(err.code).toBe(status.INTERNAL);
    // grpc-js reports no more than this to the client.
    expect(err.details).toBe("Error serializing response");
  });

  it("types a method's EncodedMessage by its output", () => {
    echoImpl({
      // @ts-expect-error: Echo answers EchoResponse, not PublicEchoResponse.
      echo: async () => EncodedMessage.encode(PublicEchoResponseSchema, { message: "x" }),
    });
  });
});

describe("authentication and policy", () => {
  it("refuses a call without a token with UNAUTHENTICATED", async () => {
    const t = await start();
    const err = await failure(t.client().echo({ message: "x" }));
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });

  it("refuses a bad token with UNAUTHENTICATED", async () => {
    const t = await start();
    const err = await failure(t.client({ token: "not-a-jwt" }).echo({ message: "x" }));
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });

  it("refuses a caller without an allowed role with PERMISSION_DENIED", async () => {
    const t = await start();
    const token = await t.tokens.issue({ subject: "shop", roles: ["storefront"] });
    const err = await failure(t.client({ token }).echo({ message: "x" }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
  });

  it("lets anyone call a public method", async () => {
    const t = await start();
    await expect(t.client().publicEcho({ message: "open" })).resolves.toMatchObject({ message: "open" });
  });

  it("fails at registration when a method has no policy", () => {
    const server = createGrpcServer({
      logger: createLogger({ service: "grpc-test", level: "silent" }),
      registry: new Registry(),
      verifier: { verify: async () => ({ subject: "x", roles: [] }) },
    });
    const { echoChat: _omitted, ...incomplete } = echoPolicy;
    expect(() => server.register(EchoService, echoImpl(), incomplete as typeof echoPolicy)).toThrow(
      /no policy for echoChat/,
    );
  });
});

describe("streaming", () => {
  it("streams server responses", async () => {
    const t = await start();
    const client = t.client({ token: await opsToken(t) });
    const received: number[] = [];
    for await (const res of client.echoStream({ message: "m", count: 3 })) received.push(res.index);
    expect(received).toEqual([0, 1, 2]);
  });

  it("collects a client stream", async () => {
    const t = await start();
    const client = t.client({ token: await opsToken(t) });
    const res = await client.echoCollect([{ message: "a" }, { message: "b" }]);
    expect(res.messages).toEqual(["a", "b"]);
  });

  it("answers a bidi stream", async () => {
    const t = await start();
    const client = t.client({ token: await opsToken(t) });
    const replies: string[] = [];
    for await (const res of client.echoChat([{ message: "a" }, { message: "b" }])) replies.push(res.message);
    expect(replies).toEqual(["re: a", "re: b"]);
  });

  it("maps an error thrown mid-stream", async () => {
    const t = await start({
      async *echoStream() {
        yield { message: "first", index: 0 };
        throw invalidArgument("count", "too many");
      },
    });
    const client = t.client({ token: await opsToken(t) });
    const received: string[] = [];
    const err = await failure(
      (async () => {
        for await (const res of client.echoStream({ message: "m", count: 9 })) received.push(res.message);
      })(),
    );
    expect(received).toEqual(["first"]);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.errorDetail?.field).toBe("count");
  });
});

describe("deadlines and retries", () => {
  it("ends a call past its deadline with DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
    let handlerSignal: AbortSignal | undefined;
    const t = await start({
      echo(_req, ctx) {
        handlerSignal = ctx.signal;
        // Never answers on its own: only the deadline ends this call.
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
        );
      },
    });
    const err = await failure(
      t.client({ token: await opsToken(t) }).echo({ message: "x" }, { deadlineMs: 200 }),
    );
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => handlerSignal?.aborted).toBe(true);
  });

  it("retries UNAVAILABLE and then succeeds", async () => {
    let attempts = 0;
    const t = await start({
      async echo(req) {
        attempts++;
        if (attempts < 3) throw unavailable("warming up");
        return { message: req.message };
      },
    });
    const client = t.client({ token: await opsToken(t), retry: { initialBackoffMs: 1, maxBackoffMs: 5 } });
    await expect(client.echo({ message: "x" })).resolves.toMatchObject({ message: "x" });
    expect(attempts).toBe(3);
  });

  it("gives up after the bounded number of attempts", async () => {
    let attempts = 0;
    const t = await start({
      async echo() {
        attempts++;
        throw unavailable("down");
      },
    });
    const client = t.client({
      token: await opsToken(t),
      retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 },
    });
    const err = await failure(client.echo({ message: "x" }));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(attempts).toBe(3);
  });

  it("does not retry other codes", async () => {
    let attempts = 0;
    const t = await start({
      async echo() {
        attempts++;
        throw aborted("conflict");
      },
    });
    const client = t.client({ token: await opsToken(t), retry: { initialBackoffMs: 1 } });
    expect((await failure(client.echo({ message: "x" }))).code).toBe(status.ABORTED);
    expect(attempts).toBe(1);
  });
});

describe("health and reflection", () => {
  it("reports SERVING for the server and each registered service", async () => {
    const t = await start();
    const health = createClient(Health, t.address);
    try {
      expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await health.check({ service: EchoService.typeName })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
      t.server.setServingStatus(EchoService.typeName, "NOT_SERVING");
      expect((await health.check({ service: EchoService.typeName })).status).toBe(
        HealthCheckResponse_ServingStatus.NOT_SERVING,
      );
    } finally {
      health.close();
    }
  });

  it("lists services and describes them through server reflection", async () => {
    const t = await start();
    const reflectionProto = path.join(
      path.dirname(createRequire(import.meta.url).resolve("@grpc/reflection")),
      "../proto/grpc/reflection/v1/reflection.proto",
    );
    const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as unknown as {
      grpc: {
        reflection: { v1: { ServerReflection: new (address: string, creds: unknown) => ReflectionStub } };
      };
    };
    const stub = new pkg.grpc.reflection.v1.ServerReflection(t.address, credentials.createInsecure());
    try {
      const responses = await reflect(stub, [
        { list_services: "*" },
        { file_containing_symbol: "stockroom.testing.v1.EchoService" },
      ]);
      const names = responses[0]?.list_services_response?.service.map((s) => s.name);
      expect(names).toContain(EchoService.typeName);
      expect(names).toContain(HEALTH_SERVICE_NAME);
      expect(responses[1]?.file_descriptor_response?.file_descriptor_proto.length).toBeGreaterThan(0);
    } finally {
      stub.close();
    }
  });
});

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
}
interface ReflectionStub {
  ServerReflectionInfo(): {
    write(req: object): void;
    end(): void;
    on(event: "data", l: (res: ReflectionResponse) => void): void;
    on(event: "end", l: () => void): void;
    on(event: "error", l: (err: Error) => void): void;
  };
  close(): void;
}
function reflect(stub: ReflectionStub, requests: object[]): Promise<ReflectionResponse[]> {
  return new Promise((resolve, reject) => {
    const call = stub.ServerReflectionInfo();
    const responses: ReflectionResponse[] = [];
    call.on("data", (res) => responses.push(res));
    call.on("end", () => resolve(responses));
    call.on("error", reject);
    for (const req of requests) call.write(req);
    call.end();
  });
}

describe("graceful shutdown", () => {
  it("drains an in-flight call before stopping, then refuses new calls", async () => {
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const t = await startEchoServer(
      echoImpl({
        async echo(req) {
          entered();
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return { message: req.message };
        },
      }),
    );
    const client = t.client({ token: await t.tokens.issue({ subject: "ops", roles: ["ops"] }) });
    const inFlight = client.echo({ message: "slow" }, { deadlineMs: 30_000 });
    await inHandler;
    const stopped = t.server.shutdown(30_000);
    let stoppedYet = false;
    void stopped.then(() => {
      stoppedYet = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stoppedYet).toBe(false);
    release();
    await expect(inFlight).resolves.toMatchObject({ message: "slow" });
    await stopped;
    const second = await failure(client.publicEcho({ message: "late" }, { deadlineMs: 2_000 }));
    expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(second.code);
    client.close();
  });
});

describe("metadata", () => {
  it("replaces a malformed request id with a generated one", async () => {
    const t = await start();
    const client = t.client({ token: await opsToken(t) });
    const res = await client.echo({ message: "x" }, { metadata: { "x-request-id": "bad id with spaces" } });
    expect(res.requestId).not.toBe("bad id with spaces");
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
