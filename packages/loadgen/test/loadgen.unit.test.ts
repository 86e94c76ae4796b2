// The load generator against a real grpc-js server: a call succeeds only on grpc-status 0 after a
// message, a failing status rejects with that status and message, the closed loop counts both, and the
// CPU accounting sees this process's own work.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedLoop, cpuMsByGroup, GrpcCallError, grpcOverHttp2, summarize } from "../src/index.ts";

const PATH = "/stockroom.loadgen.test.Echo/Say";
let server: grpc.Server;
let address: string;

beforeAll(async () => {
  server = new grpc.Server();
  const identity = (bytes: Buffer) => bytes;
  server.addService(
    {
      say: {
        path: PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const text = call.request.toString();
        if (call.metadata.get("authorization")[0] !== "Bearer t0ken") {
          callback({ code: grpc.status.UNAUTHENTICATED, details: "no token" });
        } else if (text === "fail") {
          callback({ code: grpc.status.FAILED_PRECONDITION, details: "not enough stock: sku A-1" });
        } else callback(null, Buffer.from(`echo ${text}`));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => {
  server.forceShutdown();
});

describe("grpcOverHttp2", () => {
  it("resolves a call answered with grpc-status 0", async () => {
    const caller = grpcOverHttp2(address, { token: "t0ken" });
    await expect(caller.unary(PATH, Buffer.from("hello"))).resolves.toBeUndefined();
    caller.close();
  });

  it("rejects a failed call with its status and message, and sends the token", async () => {
    const caller = grpcOverHttp2(address, { token: "t0ken" });
    const err = await caller.unary(PATH, Buffer.from("fail")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcCallError);
    expect(err).toMatchObject({ grpcStatus: "9", grpcMessage: "not enough stock: sku A-1" });
    const anonymous = grpcOverHttp2(address);
    await expect(anonymous.unary(PATH, Buffer.from("hello"))).rejects.toMatchObject({ grpcStatus: "16" });
    caller.close();
    anonymous.close();
  });

  it("rejects calls to a method the server does not have", async () => {
    const caller = grpcOverHttp2(address, { token: "t0ken" });
    await expect(caller.unary("/no.Such/Method", Buffer.from("x"))).rejects.toMatchObject({
      grpcStatus: "12",
    });
    caller.close();
  });
});

describe("closedLoop", () => {
  it("counts successes and failures of its clients and summarizes them", async () => {
    const caller = grpcOverHttp2(address, { token: "t0ken" });
    let sent = 0;
    const report = await closedLoop(4, 0.3, () =>
      caller.unary(PATH, Buffer.from(sent++ % 3 === 0 ? "fail" : "ok")),
    );
    caller.close();
    expect(report.latencies.length + report.failures).toBe(sent);
    expect(report.failures).toBe(Math.ceil(sent / 3));
    expect(report.failureSamples).toEqual(["grpc-status 9: not enough stock: sku A-1"]);
    const summary = summarize([report]);
    expect(summary.operations).toBe(report.latencies.length);
    expect(summary.p50Ms).toBeGreaterThan(0);
    expect(summary.p99Ms).toBeGreaterThanOrEqual(summary.p50Ms);
  });
});

describe("cpuMsByGroup", () => {
  it("sees CPU this process spends", () => {
    const mine = { self: (_: string, pid: number) => pid === process.pid };
    const before = cpuMsByGroup(mine).self ?? 0;
    const start = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(start).user < 300_000) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect((cpuMsByGroup(mine).self ?? 0) - before).toBeGreaterThanOrEqual(200);
  });
});
