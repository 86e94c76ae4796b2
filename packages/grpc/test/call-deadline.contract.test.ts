// Deadlines and cancellation through the call pipeline, over real gRPC servers: a call whose client
// stopped waiting is logged and counted as DEADLINE_EXCEEDED or CANCELLED even when its handler
// finished afterwards; the handler's signal aborts with that status as an AppError; a call made for the
// caller (CallOptions.limits) carries the caller's remaining deadline to the next server and is
// cancelled with it.
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { type AppError, isAppError } from "@stockroom/errors";
import type { EchoService } from "@stockroom/proto/stockroom/testing/v1/echo_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { type CallContext, GrpcCallError, type TypedClient } from "../src/index.ts";
import { echoImpl, startEchoServer, type TestServer } from "./echo-server.ts";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(overrides: Parameters<typeof echoImpl>[0] = {}): Promise<TestServer> {
  const server = await startEchoServer(echoImpl(overrides));
  servers.push(server);
  return server;
}

async function clientOf(t: TestServer, defaultDeadlineMs?: number): Promise<TypedClient<typeof EchoService>> {
  const token = await t.tokens.issue({ subject: "deadline-test", roles: ["ops"] });
  return t.client({ token, retry: { maxAttempts: 1 }, ...(defaultDeadlineMs ? { defaultDeadlineMs } : {}) });
}

async function failure(promise: Promise<unknown>): Promise<GrpcCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GrpcCallError)) throw new Error(`expected a GrpcCallError, got ${String(err)}`);
  return err;
}

function accessLine(t: TestServer, rpc: string) {
  return t.logLines.find((line) => line.msg === "rpc handled" && line.rpc === rpc);
}

async function rpcCount(t: TestServer, code: string): Promise<number> {
  const metric = await t.registry.getSingleMetric("grpc_server_handled_total")?.get();
  return metric?.values.filter((v) => v.labels.grpc_code === code).reduce((sum, v) => sum + v.value, 0) ?? 0;
}

const ECHO = "/stockroom.testing.v1.EchoService/Echo";

describe("a call the client stopped waiting for", () => {
  it("is logged DEADLINE_EXCEEDED, not OK, when the handler finishes after the deadline", async () => {
    const t = await start({
      async echo(req) {
        // Ignores its signal: finishes well after the client's deadline.
        if (req.message === "late") await sleep(1_000);
        return { message: req.message };
      },
    });
    const client = await clientOf(t);
    // Connected first: on a loaded machine a short deadline could pass before the call even went out.
    await client.echo({ message: "warm" });
    const err = await failure(client.echo({ message: "late" }, { deadlineMs: 300 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    const lateLine = () => t.logLines.filter((line) => line.msg === "rpc handled" && line.rpc === ECHO)[1];
    await expect.poll(lateLine, { timeout: 5_000 }).toBeDefined();
    expect(lateLine()?.code).toBe("DEADLINE_EXCEEDED");
    expect(t.logLines.filter((line) => line.rpc === ECHO && line.code === "OK")).toHaveLength(1);
  });

  it("aborts the handler's signal with DEADLINE_EXCEEDED, or CANCELLED when the client cancels, and logs it", async () => {
    const reasons: unknown[] = [];
    const t = await start({
      echo(req, ctx) {
        if (req.message === "warm") return Promise.resolve({ message: "warm" });
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          }),
        );
      },
    });
    const client = await clientOf(t);
    await client.echo({ message: "warm" });
    expect((await failure(client.echo({ message: "x" }, { deadlineMs: 300 }))).code).toBe(
      status.DEADLINE_EXCEEDED,
    );
    const caller = new AbortController();
    const cancelledCall = failure(
      client.echo({ message: "y" }, { deadlineMs: 30_000, signal: caller.signal }),
    );
    await sleep(100);
    caller.abort();
    expect((await cancelledCall).code).toBe(status.CANCELLED);
    await expect.poll(() => reasons.length).toBe(2);
    expect(reasons.map((r) => (isAppError(r) ? r.kind : String(r)))).toEqual([
      "deadline_exceeded",
      "cancelled",
    ]);
    await expect
      .poll(() => t.logLines.filter((l) => l.rpc === ECHO && l.msg === "rpc handled").map((l) => l.code))
      .toEqual(["OK", "DEADLINE_EXCEEDED", "CANCELLED"]);
    expect(await rpcCount(t, "DEADLINE_EXCEEDED")).toBe(1);
    expect(await rpcCount(t, "CANCELLED")).toBe(1);
  });
});

describe("a call made for a caller (CallOptions.limits)", () => {
  it("takes the caller's remaining deadline, not its own default, to the next server", async () => {
    const seen: { deadlineMs: number | undefined }[] = [];
    const downstream = await start({
      async echo(req, ctx) {
        seen.push({ deadlineMs: ctx.deadline ? ctx.deadline.getTime() - Date.now() : undefined });
        return { message: req.message };
      },
    });
    // The downstream client's own budget is 10 s, as the catalog's client of the warehouse.
    const next = await clientOf(downstream, 10_000);
    const upstream = await start({
      async echo(req, ctx: CallContext) {
        await sleep(200);
        return next.echo({ message: req.message }, { limits: ctx });
      },
    });
    await (await clientOf(upstream)).echo({ message: "hop" }, { deadlineMs: 3_000 });
    // Without a caller: its own 10 s.
    await next.echo({ message: "alone" });
    expect(seen).toHaveLength(2);
    const [withCaller, alone] = seen;
    // 3 s less the 200 ms spent upstream, less transit.
    expect(withCaller?.deadlineMs).toBeLessThanOrEqual(2_800);
    expect(withCaller?.deadlineMs).toBeGreaterThan(0);
    expect(alone?.deadlineMs).toBeGreaterThan(9_000);
  });

  it("is cancelled when the caller goes, and is not made for a caller already gone", async () => {
    let downstreamAborted: AppError | undefined;
    let downstreamCalls = 0;
    const downstream = await start({
      echo(_req, ctx) {
        downstreamCalls++;
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => {
            downstreamAborted = ctx.signal.reason as AppError;
            reject(ctx.signal.reason);
          }),
        );
      },
    });
    const next = await clientOf(downstream, 10_000);
    let upstreamError: unknown;
    const upstream = await start({
      async echo(req, ctx) {
        try {
          return await next.echo({ message: req.message }, { limits: ctx });
        } catch (err) {
          upstreamError = err;
          throw err;
        }
      },
    });
    const caller = new AbortController();
    const call = failure(
      (await clientOf(upstream)).echo({ message: "x" }, { deadlineMs: 30_000, signal: caller.signal }),
    );
    await expect.poll(() => downstreamCalls).toBe(1);
    caller.abort();
    expect((await call).code).toBe(status.CANCELLED);
    // The downstream server saw its call cancelled, and upstream's client failed with the caller's reason.
    await expect.poll(() => downstreamAborted?.kind).toBe("cancelled");
    await expect.poll(() => (isAppError(upstreamError) ? upstreamError.kind : undefined)).toBe("cancelled");
    await expect.poll(() => accessLine(downstream, ECHO)?.code).toBe("CANCELLED");

    // A caller whose deadline has passed makes no call at all.
    await expect(
      next.echo({ message: "never" }, { limits: { deadline: new Date(Date.now() - 1) } }),
    ).rejects.toMatchObject({ kind: "deadline_exceeded" });
    expect(downstreamCalls).toBe(1);
  });
});
