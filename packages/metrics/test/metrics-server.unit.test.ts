import { afterEach, describe, expect, it } from "vitest";
import {
  createMetricsRegistry,
  createRpcMetrics,
  type MetricsServer,
  observeRpc,
  observeRpcStart,
  startMetricsServer,
} from "../src/index.ts";

const servers: MetricsServer[] = [];

// The value of the sample with exactly these labels, in whatever order prom-client prints them.
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(",");
  for (const line of body.split("\n")) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? "").split(",").sort().join(",");
    if (got === wanted) return Number(match[3]);
  }
  return undefined;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(readiness?: () => Promise<boolean> | boolean) {
  const registry = createMetricsRegistry({ service: "warehouse", defaultLabels: { version: "test" } });
  const rpc = createRpcMetrics(registry);
  const server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry, readiness });
  servers.push(server);
  const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);
  return { registry, rpc, server, get };
}

describe("metrics server", () => {
  it("serves RPC metrics and process metrics in Prometheus text format", async () => {
    const { rpc, get } = await start();
    const call = { service: "stockroom.warehouse.v1.StockService", method: "Reserve" };
    observeRpc(rpc, { ...call, code: "OK", seconds: 0.004 });
    observeRpc(rpc, { ...call, code: "OK", seconds: 0.2 });
    observeRpc(rpc, { ...call, code: "FAILED_PRECONDITION", seconds: 0.003 });

    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const body = await res.text();
    const labels = {
      app: "warehouse",
      version: "test",
      grpc_service: call.service,
      grpc_method: call.method,
    };
    expect(sample(body, "grpc_server_handled_total", { ...labels, grpc_code: "OK" })).toBe(2);
    expect(sample(body, "grpc_server_handled_total", { ...labels, grpc_code: "FAILED_PRECONDITION" })).toBe(
      1,
    );
    expect(sample(body, "grpc_server_handling_seconds_bucket", { ...labels, le: "0.005" })).toBe(2);
    expect(sample(body, "grpc_server_handling_seconds_count", labels)).toBe(3);
    expect(body).toMatch(/^process_cpu_user_seconds_total\{app="warehouse",version="test"\} /m);
  });

  it("counts started RPCs, so in flight is started - handled", async () => {
    const { rpc, get } = await start();
    const call = { service: "stockroom.warehouse.v1.WarehouseService", method: "Reserve" };
    observeRpcStart(rpc, call);
    observeRpcStart(rpc, call);
    observeRpc(rpc, { ...call, code: "OK", seconds: 0.01 });
    const body = await (await get("/metrics")).text();
    const labels = {
      app: "warehouse",
      version: "test",
      grpc_service: call.service,
      grpc_method: call.method,
    };
    expect(sample(body, "grpc_server_started_total", labels)).toBe(2);
    expect(sample(body, "grpc_server_handled_total", { ...labels, grpc_code: "OK" })).toBe(1);
  });

  it("healthz answers while the process is alive", async () => {
    const { get } = await start(() => false);
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });

  it("readyz follows the readiness callback, and a throwing callback means not ready", async () => {
    let ready = false;
    const { get } = await start(async () => ready);
    expect((await get("/readyz")).status).toBe(503);
    ready = true;
    expect((await get("/readyz")).status).toBe(200);

    const failing = await start(() => {
      throw new Error("database down");
    });
    expect((await failing.get("/readyz")).status).toBe(503);
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    const { server, get } = await start();
    expect((await get("/nope")).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
  });

  it("creating the RPC metrics twice on one registry shares them", () => {
    const registry = createMetricsRegistry({ service: "a", collectDefaults: false });
    const first = createRpcMetrics(registry);
    const second = createRpcMetrics(registry);
    expect(second.handled).toBe(first.handled);
    expect(second.handlingSeconds).toBe(first.handlingSeconds);
  });

  it("two registries in one process do not collide", () => {
    const a = createMetricsRegistry({ service: "a", collectDefaults: false });
    const b = createMetricsRegistry({ service: "b", collectDefaults: false });
    expect(() => {
      createRpcMetrics(a);
      createRpcMetrics(b);
    }).not.toThrow();
  });
});
