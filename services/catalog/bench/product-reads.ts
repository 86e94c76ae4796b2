// Product read latency over gRPC at a fixed arrival rate, on this machine. Not a test: prints JSON.
//   floor: the same GetProduct load against a bare grpc-js server (packages/grpc/bench/support/
//     bare-unary-server.ts) answering a constant, pre-encoded GetProductResponse of a seeded product's
//     size, with no catalog code: what this machine, grpc-js and the generator cost by themselves. The
//     catalog's latency and CPU minus the floor's are what the catalog adds. Runs first. Even this server
//     is bistable here: in some runs nearly every call's grpc-js and http2 objects outlive a young-generation
//     GC, in others they die young, independently of the server's code (figures in docs/performance.md);
//     read a p99 next to its gcMsPerSecond.
//   get-warm / batch-warm: GetProduct / BatchGetProducts (BENCH_BATCH skus) with the Redis cache, after a warm-up
//   get-nocache / batch-nocache: the same with CATALOG_CACHE_ENABLED=false (every read from PostgreSQL)
// Skus are drawn from a Zipf distribution (exponent BENCH_ZIPF_S) over BENCH_SKUS products; the hit ratio
// is read from the service's own cache_requests_total counters. Requests are sent open-loop at BENCH_RPS
// (latency counts from the scheduled send, so a stalled server cannot hide its queueing, and neither can
// a late generator: its own delays are charged to the calls too).
// The load comes from BENCH_GENERATORS worker threads (default 2), each with its own event loop and HTTP/2
// connection, speaking gRPC over node:http2 (BENCH_CLIENT=grpc-js uses the services' own client, which
// costs as much CPU per call as the server and could not drive the target rate alongside it).
// Each run reports the generators' event-loop delay and CPU per call, so a loaded generator shows, and the
// server's CPU per call, event-loop delay, GC time and (catalog only) share of calls slow inside the handler.
// The catalog runs as its own process (node src/main.ts) on a throwaway schema, consumer group and key prefix,
// and so does the floor's server; BENCH_SERVER_NODE_OPTIONS / BENCH_SERVER_NODE_ARGS pass flags to both
// (e.g. --cpu-prof --cpu-prof-dir=...). BENCH_CASES picks cases (comma-separated; default all).
import { type ChildProcess, spawn } from "node:child_process";
import { cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@stockroom/grpc";
import {
  BENCH_JWT_SECRET,
  benchRunId,
  deleteTopicsWithPrefix,
  grpcOverHttp2,
  issueBenchToken,
  spawnBenchService,
  stopChild,
  waitUntilReady,
} from "@stockroom/loadgen";
import {
  BatchGetProductsRequestSchema,
  CatalogService,
  GetProductRequestSchema,
  GetProductResponseSchema,
} from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import type { BareServerSample } from "../../../packages/grpc/bench/support/bare-unary-server.ts";
import { productMessage } from "../src/app/product-message.ts";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RPS = Number(process.env.BENCH_RPS ?? 2_000);
const SKUS = Number(process.env.BENCH_SKUS ?? 10_000);
const ZIPF_S = Number(process.env.BENCH_ZIPF_S ?? 1.0);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 50162);
// Load generators (worker threads, one HTTP/2 connection each) that share the rate.
const GENERATORS = Number(process.env.BENCH_GENERATORS ?? 2);
// How they call: "http2" (gRPC framed by hand, cheap) or "grpc-js" (the service's own client).
const CLIENT = process.env.BENCH_CLIENT ?? "http2";
const CASES = new Set(
  (process.env.BENCH_CASES ?? "floor,get-warm,batch-warm,get-nocache,batch-nocache").split(","),
);
const RUN_ID = benchRunId();
const SCHEMA = `bench_${RUN_ID}`;
const KEY_PREFIX = `bench:${RUN_ID}:`;
// The service's relay publishes (and creates) topics of this run, never the real catalog.product.v1; its
// stock topic is one of the run's own too (replaying the real warehouse.stock.v1 would load the service).
const TOPIC_PREFIX = `catalog-bench-${RUN_ID}.`;
const STOCK_TOPIC = `${TOPIC_PREFIX}stock`;
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const FLOOR_SERVER = fileURLToPath(
  new URL("../../../packages/grpc/bench/support/bare-unary-server.ts", import.meta.url),
);

if (!DATABASE_URL) {
  process.stderr.write("set TEST_DATABASE_URL or BENCH_DATABASE_URL (run via `npm run bench:catalog`)\n");
  process.exit(2);
}

function zipfSampler(n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** s;
    cdf[i] = sum;
  }
  return () => {
    const target = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface RunResult {
  sent: number;
  ok: number;
  failures: number;
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Hits (from Redis or from the server's local copy) over all cache reads. */
  hitRatio?: number;
  /** The share of cache reads answered from the server's local copy (CATALOG_CACHE_LOCAL_TTL_MS). */
  localShare?: number;
  fallbacks?: number;
  /** The load generator's own health: if its event loop lags, its latencies include its own queueing. */
  generator: {
    client: string;
    processes: number;
    loopDelayP99Ms: number;
    loopDelayMaxMs: number;
    cpuUsPerRequest: number;
  };
  /** The server process over the measured run (the catalog's /metrics, or the floor server's own sample). */
  server?: ServerSample;
  /** floor only: the size of the constant GetProductResponse it answers. */
  responseBytes?: number;
}

interface ServerSample {
  cpuUsPerRequest: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcMsPerSecond: number;
  /**
   * Share of the run's calls whose time inside the server (handler start to status, the wrapper's own
   * histogram) exceeded 5, 25 and 100 ms: what the client saw beyond that was spent queued before the
   * handler ran, in the network or in the generator. Absent for the floor, which has no handler to time.
   */
  handledOver?: Record<string, number>;
}

type CaseOp = "get" | "batch";

interface GeneratorJob {
  op: CaseOp;
  rps: number;
  seconds: number;
  /** This generator sends the slots index, index + count, index + 2 count, ... of the common schedule. */
  index: number;
  count: number;
  token: string;
}

interface GeneratorReport {
  latencies: Float64Array;
  sent: number;
  failures: number;
  elapsedS: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  cpuUs: number;
}

// Open loop: wake when the next send is due, send what the schedule says is due; each latency is measured from its due
// time. A generator sends every count-th slot of the schedule, so several of them (worker threads, each
// with its own event loop and HTTP/2 connection) share one rate without one loop's stalls delaying all.
async function generate(job: GeneratorJob): Promise<GeneratorReport> {
  const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${i}`);
  const sample = zipfSampler(skus.length, ZIPF_S);
  const send = CLIENT === "grpc-js" ? grpcJsSender(job.token) : http2Sender(job.token);
  const op =
    job.op === "get"
      ? () => send.getProduct(skus[sample()] as string)
      : () => send.batchGetProducts(Array.from({ length: BATCH }, () => skus[sample()] as string));
  // Warms this generator's connection and JIT before the clock starts.
  // Failures here (an overloaded server) are the measured run's to count, not a reason to stop.
  for (let i = 0; i < 20; i++) await op().catch(() => undefined);
  // Samples every 10 ms (each sample measures its own delay exactly); sampling every 1 ms cost this
  // generator more wake-ups than its sends did.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const total = Math.round(job.rps * job.seconds);
  const mine = Math.floor((total - job.index + job.count - 1) / job.count);
  const latencies = new Float64Array(mine);
  let settled = 0;
  let failures = 0;
  let sent = 0;
  const cpuBefore = process.threadCpuUsage();
  loopDelay.enable();
  const start = performance.now();
  const slotMs = 1000 / job.rps;
  await new Promise<void>((resolve) => {
    const settle = () => {
      if (++settled === mine) resolve();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < mine) {
        const scheduled = start + (job.index + sent * job.count) * slotMs;
        if (scheduled > now) break;
        const slot = sent++;
        op().then(
          () => {
            latencies[slot] = performance.now() - scheduled;
            settle();
          },
          () => {
            latencies[slot] = Number.NaN;
            failures++;
            settle();
          },
        );
      }
      // Sleeping until the next slot instead of polling every millisecond: each wake-up is a system call.
      if (sent < mine) setTimeout(tick, Math.ceil(start + (job.index + sent * job.count) * slotMs - now));
    };
    if (mine === 0) resolve();
    else tick();
  });
  const elapsedS = (performance.now() - start) / 1000;
  loopDelay.disable();
  const cpu = process.threadCpuUsage(cpuBefore);
  send.close();
  return {
    latencies,
    sent,
    failures,
    elapsedS,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    cpuUs: cpu.user + cpu.system,
  };
}

interface Sender {
  getProduct(sku: string): Promise<void>;
  batchGetProducts(skus: string[]): Promise<void>;
  close(): void;
}

// The service's own client (@stockroom/grpc over grpc-js): what a real caller pays per call, as much CPU as
// the server spends answering, so at the target rate the generator would need a core of its own.
function grpcJsSender(token: string): Sender {
  const client = createClient(CatalogService, `127.0.0.1:${PORT}`, { token, defaultDeadlineMs: 10_000 });
  return {
    getProduct: async (sku) => void (await client.getProduct({ sku })),
    batchGetProducts: async (skus) => void (await client.batchGetProducts({ skus })),
    close: () => client.close(),
  };
}

// gRPC spoken directly over node:http2 (the default, @stockroom/loadgen): the same requests, headers and
// deadline as the client sends; a call counts as done only on grpc-status 0 after a response message, and
// the response is not decoded. Several times cheaper per call than grpc-js's call stack.
function http2Sender(token: string): Sender {
  const grpc = grpcOverHttp2(`127.0.0.1:${PORT}`, { token });
  const getPath = `/${CatalogService.typeName}/${CatalogService.method.getProduct.name}`;
  const batchPath = `/${CatalogService.typeName}/${CatalogService.method.batchGetProducts.name}`;
  return {
    getProduct: (sku) =>
      grpc.unary(getPath, toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { sku }))),
    batchGetProducts: (skus) =>
      grpc.unary(
        batchPath,
        toBinary(BatchGetProductsRequestSchema, create(BatchGetProductsRequestSchema, { skus })),
      ),
    close: () => grpc.close(),
  };
}

function runGenerator(job: GeneratorJob): Promise<GeneratorReport> {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once("message", (report: GeneratorReport) => {
      resolve(report);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

async function driveAtRate(op: CaseOp, rps: number, seconds: number, token: string): Promise<RunResult> {
  const count = GENERATORS;
  const reports = await Promise.all(
    Array.from({ length: count }, (_, index) => runGenerator({ op, rps, seconds, index, count, token })),
  );
  const latencies = reports
    .flatMap((report) => [...report.latencies])
    .filter((ms) => !Number.isNaN(ms))
    .sort((a, b) => a - b);
  const sent = reports.reduce((sum, report) => sum + report.sent, 0);
  const elapsed = Math.max(...reports.map((report) => report.elapsedS));
  const pct = (p: number) => round2(latencies[Math.floor((latencies.length - 1) * p)] ?? 0);
  return {
    sent,
    ok: latencies.length,
    failures: reports.reduce((sum, report) => sum + report.failures, 0),
    achievedRps: Math.round(latencies.length / elapsed),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    p999Ms: pct(0.999),
    generator: {
      client: CLIENT,
      processes: count,
      loopDelayP99Ms: round2(Math.max(...reports.map((report) => report.loopDelayP99Ms))),
      loopDelayMaxMs: round2(Math.max(...reports.map((report) => report.loopDelayMaxMs))),
      cpuUsPerRequest: Math.round(reports.reduce((sum, report) => sum + report.cpuUs, 0) / Math.max(1, sent)),
    },
  };
}

function handledOver(before: Map<number, number>, after: Map<number, number>): Record<string, number> {
  const within = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = within(Number.POSITIVE_INFINITY);
  const share = (le: number) => Number((1 - within(le) / Math.max(1, total)).toFixed(4));
  return { "5ms": share(0.005), "25ms": share(0.025), "100ms": share(0.1) };
}

function round2(value: number): number {
  return Number(value.toFixed(2));
}

function startCatalog(cacheEnabled: boolean): ChildProcess {
  return spawnBenchService(fileURLToPath(new URL("..", import.meta.url)), {
    DATABASE_URL,
    REDIS_URL,
    CATALOG_DB_SCHEMA: SCHEMA,
    CATALOG_GRPC_PORT: String(PORT),
    CATALOG_METRICS_PORT: String(PORT + 1),
    CATALOG_HTTP_PORT: String(PORT + 2),
    CATALOG_CACHE_ENABLED: String(cacheEnabled),
    CATALOG_CACHE_KEY_PREFIX: KEY_PREFIX,
    CATALOG_STOCK_CONSUMER_GROUP: `catalog-bench-${RUN_ID}`,
    CATALOG_STOCK_EVENTS_TOPIC: STOCK_TOPIC,
    CATALOG_OUTBOX_TOPIC_PREFIX: TOPIC_PREFIX,
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: "warn",
    DB_POOL_MAX: process.env.BENCH_POOL_MAX ?? "20",
  });
}

async function seedProducts(pool: pg.Pool, skus: string[]): Promise<void> {
  await pool.query(
    `INSERT INTO ${SCHEMA}.products (sku, name, brand, category_path, status, price_minor, currency)
     SELECT s, 'Bench ' || s, 'bench', 'bench/items', 'active', 1999, 'EUR' FROM unnest($1::text[]) AS s`,
    [skus],
  );
  // Two warehouses per sku; one in ten skus is out of stock (short TTL), like a real catalogue.
  await pool.query(
    `INSERT INTO ${SCHEMA}.availability_by_warehouse
       (sku, warehouse_code, available, on_hand, reserved, committed, level_version, updated_at)
     SELECT s, w, CASE WHEN o % 10 = 0 THEN 0 ELSE 50 END, 50, CASE WHEN o % 10 = 0 THEN 50 ELSE 0 END, 0, 1, now()
     FROM unnest($1::text[]) WITH ORDINALITY AS t(s, o), unnest(ARRAY['W1', 'W2']) AS w`,
    [skus],
  );
}

// What a server process reports about itself; cumulative except the loop delay.
interface ServerCounters {
  cpuSeconds: number;
  gcSeconds: number;
  /** Since the previous sample: prom-client resets its event-loop histogram on every collection. */
  loopDelayP99Seconds: number;
  loopDelayMaxSeconds: number;
  /** The catalog's grpc_server_handling_seconds buckets summed over methods: le (seconds) → count. */
  handling?: Map<number, number>;
  /** The catalog's cache_requests_total. */
  cache?: {
    /** Answered from Redis or from the process's local copy. */
    hits: number;
    local: number;
    fallbacks: number;
    reads: number;
  };
}

async function catalogCounters(): Promise<ServerCounters> {
  const text = await (await fetch(`http://127.0.0.1:${PORT + 1}/metrics`)).text();
  const handling = new Map<number, number>();
  const cache = { hits: 0, local: 0, fallbacks: 0, reads: 0 };
  const counters: ServerCounters = {
    cpuSeconds: 0,
    gcSeconds: 0,
    loopDelayP99Seconds: 0,
    loopDelayMaxSeconds: 0,
    handling,
    cache,
  };
  for (const line of text.split("\n")) {
    const cacheLine = /^cache_requests_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/.exec(line);
    if (cacheLine) {
      const value = Number(cacheLine[2]);
      cache.reads += value;
      if (cacheLine[1] === "hit" || cacheLine[1] === "local") cache.hits += value;
      if (cacheLine[1] === "local") cache.local += value;
      if (cacheLine[1] === "fallback") cache.fallbacks += value;
      continue;
    }
    const bucket = /^grpc_server_handling_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/.exec(line);
    if (bucket) {
      const le = bucket[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(bucket[1]);
      handling.set(le, (handling.get(le) ?? 0) + Number(bucket[2]));
      continue;
    }
    const sample = /^(\w+)(?:\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (!sample) continue;
    const value = Number(sample[2]);
    if (sample[1] === "process_cpu_seconds_total") counters.cpuSeconds = value;
    else if (sample[1] === "nodejs_gc_duration_seconds_sum") counters.gcSeconds += value;
    else if (sample[1] === "nodejs_eventloop_lag_p99_seconds") counters.loopDelayP99Seconds = value;
    else if (sample[1] === "nodejs_eventloop_lag_max_seconds") counters.loopDelayMaxSeconds = value;
  }
  return counters;
}

// One case, the same for the floor and the catalog: a warm-up at the measured rate (fills the cache; JIT),
// then the measured run between two samples of the server's counters.
async function measure(
  op: CaseOp,
  token: string,
  counters: () => Promise<ServerCounters>,
): Promise<RunResult> {
  await driveAtRate(op, RPS, Math.min(3, SECONDS), token);
  const before = await counters();
  const result = await driveAtRate(op, RPS, SECONDS, token);
  const after = await counters();
  if (before.cache && after.cache && after.cache.reads > before.cache.reads) {
    const reads = after.cache.reads - before.cache.reads;
    result.hitRatio = Number(((after.cache.hits - before.cache.hits) / reads).toFixed(4));
    result.localShare = Number(((after.cache.local - before.cache.local) / reads).toFixed(4));
    // Reads that found Redis unavailable (error, timeout, open breaker) and went to the database.
    result.fallbacks = after.cache.fallbacks - before.cache.fallbacks;
  }
  result.server = {
    cpuUsPerRequest: Math.round(((after.cpuSeconds - before.cpuSeconds) * 1e6) / Math.max(1, result.sent)),
    loopDelayP99Ms: round2(after.loopDelayP99Seconds * 1000),
    loopDelayMaxMs: round2(after.loopDelayMaxSeconds * 1000),
    gcMsPerSecond: round2(((after.gcSeconds - before.gcSeconds) * 1000) / SECONDS),
    ...(before.handling && after.handling && { handledOver: handledOver(before.handling, after.handling) }),
  };
  return result;
}

// A GetProductResponse as the catalog would answer it for a seeded product (same fields and sizes).
function floorResponse(): Uint8Array {
  const now = new Date();
  const warehouse = (warehouseCode: string) => ({
    warehouseCode,
    available: 50,
    onHand: 50,
    reserved: 0,
    committed: 0,
    levelVersion: 1,
    updatedAt: now,
  });
  const product = productMessage(
    {
      sku: `BENCH-${SKUS - 1}`,
      name: `Bench BENCH-${SKUS - 1}`,
      description: "",
      brand: "bench",
      categoryPath: "bench/items",
      attributes: {},
      status: "active",
      price: { amountMinor: 1999n, currency: "EUR" },
      version: 1,
      createdAt: now,
      updatedAt: now,
    },
    { totalAvailable: 100, warehouses: [warehouse("W1"), warehouse("W2")], asOf: now, lagMs: 1234 },
  );
  return toBinary(GetProductResponseSchema, create(GetProductResponseSchema, { product }));
}

async function runFloor(): Promise<RunResult> {
  const response = floorResponse();
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const server = spawn(process.execPath, [...nodeArgs, FLOOR_SERVER], {
    env: {
      ...process.env,
      NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? "",
      BARE_SERVER_PORT: String(PORT),
      BARE_SERVER_PATH: `/${CatalogService.typeName}/${CatalogService.method.getProduct.name}`,
      BARE_SERVER_RESPONSE: Buffer.from(response).toString("base64"),
    },
    stdio: ["ignore", process.stderr, process.stderr, "ipc"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("message", () => resolve());
      server.once("exit", (code) => reject(new Error(`floor server exited with ${code}`)));
    });
    const counters = () =>
      new Promise<ServerCounters>((resolve) => {
        server.once("message", (sample: BareServerSample) => resolve(sample));
        server.send("sample");
      });
    // The server ignores the token; the generator sends the same headers as to the catalog.
    const result = await measure("get", "floor", counters);
    result.responseBytes = response.length;
    return result;
  } finally {
    await stopChild(server);
  }
}

// seed fills the schema once the catalog migrated it (the first catalog run of the bench calls it).
async function runCases(cacheEnabled: boolean, skus: string[], seed: () => Promise<void>) {
  const suffix = cacheEnabled ? "warm" : "nocache";
  const names = (["get", "batch"] as const).map((op) => ({ op, name: `${op}-${suffix}` }));
  const results: Record<string, RunResult | undefined> = {};
  if (!names.some(({ name }) => CASES.has(name))) return results;
  const server = startCatalog(cacheEnabled);
  const token = await issueBenchToken(["storefront"]);
  const client = createClient(CatalogService, `127.0.0.1:${PORT}`, { token, defaultDeadlineMs: 10_000 });
  try {
    await waitUntilReady(() => client.batchGetProducts({ skus: ["WARMUP"] }), {
      attempts: 152,
      intervalMs: 200,
    });
    await seed();
    // "Warm" means every sku was read once before measuring (100 per call, like a storefront's listing).
    if (cacheEnabled) {
      for (let start = 0; start < skus.length; start += 100) {
        await client.batchGetProducts({ skus: skus.slice(start, start + 100) });
      }
    }
    for (const { op, name } of names) {
      if (CASES.has(name)) results[name] = await measure(op, token, catalogCounters);
    }
  } finally {
    client.close();
    await stopChild(server);
  }
  return results;
}

async function deleteKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${KEY_PREFIX}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${i}`);
  try {
    let seeded: Promise<void> | undefined;
    const seed = () => {
      seeded ??= seedProducts(pool, skus);
      return seeded;
    };
    const floor = CASES.has("floor") ? { floor: await runFloor() } : {};
    const warm = await runCases(true, skus, seed);
    const noCache = await runCases(false, skus, seed);
    process.stdout.write(
      `${JSON.stringify(
        {
          machine: { cpus: cpus().length, node: process.version },
          seconds: SECONDS,
          rps: RPS,
          skus: SKUS,
          zipfS: ZIPF_S,
          batchSize: BATCH,
          ...floor,
          ...warm,
          ...noCache,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool.end();
    await deleteKeys();
    await deleteConsumerGroup();
    await deleteTopicsWithPrefix(KAFKA_BROKERS, TOPIC_PREFIX);
  }
}

// The bench service's consumer group would otherwise stay on the broker.
async function deleteConsumerGroup(): Promise<void> {
  const admin = new Kafka({
    clientId: "catalog-bench",
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.deleteGroups([`catalog-bench-${RUN_ID}`]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

if (isMainThread) await main();
else parentPort?.postMessage(await generate(workerData as GeneratorJob));
