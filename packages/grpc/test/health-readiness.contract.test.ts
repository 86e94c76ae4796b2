// gRPC health follows readiness, as /readyz does: NOT_SERVING while the database cannot be reached
// (a real pool aimed at a closed port, and one whose backends are terminated), while draining, and
// not ready before the port is bound.
import { createServer, Socket as NetSocket, type Server, type Socket } from "node:net";
import { createTokenVerifier } from "@stockroom/auth";
import { createPool, type Pool } from "@stockroom/db";
import { createLogger } from "@stockroom/logging";
import { startMetricsServer } from "@stockroom/metrics";
import { Health, HealthCheckResponse_ServingStatus } from "@stockroom/proto/grpc/health/v1/health_pb.js";
import { EchoService } from "@stockroom/proto/stockroom/testing/v1/echo_pb.js";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, createGrpcServer, type GrpcServer } from "../src/index.ts";
import { echoImpl, echoPolicy, secret } from "./echo-server.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DATABASE_URL is not set: `. deploy/local/env.sh` first");
  return url;
}

function poolFor(connectionString: string): Pool {
  const pool = createPool({ connectionString, max: 2, connectionTimeoutMillis: 500, logger: silent });
  cleanups.push(() => pool.end());
  return pool;
}

async function serverWith(pool: Pool): Promise<{ server: GrpcServer; address: string }> {
  const server = createGrpcServer({
    logger: createLogger({ service: "health-test", level: "silent" }),
    registry: new Registry(),
    verifier: createTokenVerifier({ secret, issuer: "stockroom-test", audience: "stockroom" }),
    readiness: async () => {
      await pool.query("SELECT 1");
      return true;
    },
    readinessIntervalMs: 50,
  });
  server.register(EchoService, echoImpl(), echoPolicy);
  const port = await server.start("127.0.0.1:0");
  cleanups.push(() => server.shutdown(500));
  return { server, address: `127.0.0.1:${port}` };
}

async function healthOf(address: string, service = ""): Promise<HealthCheckResponse_ServingStatus> {
  const client = createClient(Health, address, { retry: { maxAttempts: 1 } });
  try {
    return (await client.check({ service })).status;
  } finally {
    client.close();
  }
}

async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await read();
  while (last !== expected && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    last = await read();
  }
  return last;
}

describe("gRPC health follows readiness", () => {
  it("is NOT_SERVING, for the server and each service, when the database refuses connections", async () => {
    const { server, address } = await serverWith(poolFor("postgres://postgres@127.0.0.1:1/nowhere"));
    expect(await healthOf(address)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect(await healthOf(address, EchoService.typeName)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect(await server.ready()).toBe(false);
  });

  it("goes NOT_SERVING when the database drops away mid-life and SERVING when it is back", async () => {
    // The pool reaches PostgreSQL through a TCP proxy the test controls: closing it severs every
    // connection and refuses new ones, as a database host going away does.
    const target = new URL(testDatabaseUrl());
    const proxy = await startProxy(target.hostname, Number(target.port || 5432));
    cleanups.push(() => proxy.close());
    const viaProxy = new URL(target);
    viaProxy.port = String(proxy.port);
    const { server, address } = await serverWith(poolFor(viaProxy.toString()));
    expect(await healthOf(address)).toBe(HealthCheckResponse_ServingStatus.SERVING);

    await proxy.close();
    expect(await eventually(() => healthOf(address), HealthCheckResponse_ServingStatus.NOT_SERVING)).toBe(
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    );
    expect(await server.ready()).toBe(false);

    await proxy.reopen();
    expect(await eventually(() => healthOf(address), HealthCheckResponse_ServingStatus.SERVING)).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });

  it("is not ready before start and NOT_SERVING from the moment shutdown begins", async () => {
    const pool = poolFor(testDatabaseUrl());
    const server = createGrpcServer({
      logger: createLogger({ service: "health-test", level: "silent" }),
      registry: new Registry(),
      verifier: createTokenVerifier({ secret, issuer: "stockroom-test", audience: "stockroom" }),
      readiness: async () => {
        await pool.query("SELECT 1");
        return true;
      },
    });
    server.register(EchoService, echoImpl(), echoPolicy);
    // The metrics listener starts first (liveness during migrations) and asks the gRPC server.
    const metrics = await startMetricsServer({
      port: 0,
      host: "127.0.0.1",
      registry: new Registry(),
      readiness: () => server.ready(),
    });
    cleanups.push(() => metrics.close());
    const readyz = async () => (await fetch(`http://127.0.0.1:${metrics.port}/readyz`)).status;
    expect(await server.ready()).toBe(false);
    expect(await readyz()).toBe(503);
    const port = await server.start("127.0.0.1:0");
    expect(await server.ready()).toBe(true);
    expect(await readyz()).toBe(200);
    const stopping = server.shutdown(500);
    expect(await server.ready()).toBe(false);
    expect(await readyz()).toBe(503);
    expect(
      await healthOf(`127.0.0.1:${port}`).catch(() => HealthCheckResponse_ServingStatus.NOT_SERVING),
    ).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    await stopping;
  });
});

interface Proxy {
  port: number;
  close(): Promise<void>;
  reopen(): Promise<void>;
}

async function startProxy(host: string, targetPort: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = new NetSocket();
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        upstream.connect(targetPort, host, () => {
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    close: async () => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    reopen: listen,
  };
}
