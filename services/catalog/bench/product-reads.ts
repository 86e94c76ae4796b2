// Product read latency over gRPC at a fixed arrival rate, on this machine. Not a test: prints JSON.
//   get-warm / batch-warm: GetProduct / BatchGetProducts (BENCH_BATCH skus) with the Redis cache, after a warm-up
//   get-nocache / batch-nocache: the same with CATALOG_CACHE_ENABLED=false (every read from PostgreSQL)
// Skus are drawn from a Zipf distribution (exponent BENCH_ZIPF_S) over BENCH_SKUS products; the hit ratio
// is read from the service's own cache_requests_total counters. Requests are sent open-loop at BENCH_RPS
// (latency counts from the scheduled send, so a stalled server cannot hide its queueing).
// The catalog runs as its own process (node src/main.ts) on a throwaway schema, consumer group and key prefix.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RPS = Number(process.env.BENCH_RPS ?? 2_000);
const SKUS = Number(process.env.BENCH_SKUS ?? 10_000);
const ZIPF_S = Number(process.env.BENCH_ZIPF_S ?? 1.0);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 50162);
const CASES = new Set(
  (process.env.BENCH_CASES ?? "get-warm,batch-warm,get-nocache,batch-nocache").split(","),
);
const JWT_SECRET = "bench-secret-bench-secret-bench-secret!";
const RUN_ID = randomUUID().replaceAll("-", "").slice(0, 12);
const SCHEMA = `bench_${RUN_ID}`;
const KEY_PREFIX = `bench:${RUN_ID}:`;

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
  hitRatio?: number;
}

// Open loop: every millisecond, send what the schedule says is due; each latency is measured from its due time.
async function driveAtRate(rps: number, seconds: number, op: () => Promise<unknown>): Promise<RunResult> {
  const latencies: number[] = [];
  let failures = 0;
  let sent = 0;
  const total = Math.round(rps * seconds);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rps));
      while (sent < due) {
        const scheduled = start + (sent * 1000) / rps;
        sent++;
        pending.push(
          op().then(
            () => {
              latencies.push(performance.now() - scheduled);
            },
            () => {
              failures++;
            },
          ),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.floor((latencies.length - 1) * p)] ?? 0).toFixed(2));
  return {
    sent,
    ok: latencies.length,
    failures,
    achievedRps: Math.round(latencies.length / elapsed),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    p999Ms: pct(0.999),
  };
}

function startCatalog(cacheEnabled: boolean): ChildProcess {
  return spawn(process.execPath, ["src/main.ts"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: {
      ...process.env,
      NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? "",
      DATABASE_URL,
      REDIS_URL,
      CATALOG_DB_SCHEMA: SCHEMA,
      CATALOG_GRPC_PORT: String(PORT),
      CATALOG_METRICS_PORT: String(PORT + 1),
      CATALOG_CACHE_ENABLED: String(cacheEnabled),
      CATALOG_CACHE_KEY_PREFIX: KEY_PREFIX,
      CATALOG_STOCK_CONSUMER_GROUP: `catalog-bench-${RUN_ID}`,
      // A topic of the run's own: replaying the real warehouse.stock.v1 history would load the service.
      CATALOG_STOCK_EVENTS_TOPIC: `catalog-bench-${RUN_ID}.stock`,
      JWT_SECRET,
      LOG_LEVEL: "warn",
      DB_POOL_MAX: process.env.BENCH_POOL_MAX ?? "20",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

async function waitReady(client: TypedClient<typeof CatalogService>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.batchGetProducts({ skus: ["WARMUP"] });
      return;
    } catch (err) {
      if (attempt > 150) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function seed(pool: pg.Pool, skus: string[]): Promise<void> {
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

async function cacheCounters(): Promise<{ hit: number; total: number }> {
  const text = await (await fetch(`http://127.0.0.1:${PORT + 1}/metrics`)).text();
  let hit = 0;
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^cache_requests_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    total += value;
    if (match[1] === "hit") hit += value;
  }
  return { hit, total };
}

async function runCases(cacheEnabled: boolean, skus: string[], pool: pg.Pool | undefined) {
  const server = startCatalog(cacheEnabled);
  const issuer = createTokenIssuer({ secret: JWT_SECRET, issuer: "stockroom", audience: "stockroom" });
  const token = await issuer.issue({ subject: "bench", roles: ["storefront"], ttlSec: 3600 });
  const client = createClient(CatalogService, `127.0.0.1:${PORT}`, { token, defaultDeadlineMs: 10_000 });
  const results: Record<string, RunResult | undefined> = {};
  try {
    await waitReady(client);
    if (pool) await seed(pool, skus);
    const sample = zipfSampler(skus.length, ZIPF_S);
    const get = () => client.getProduct({ sku: skus[sample()] as string });
    const batch = () =>
      client.batchGetProducts({ skus: Array.from({ length: BATCH }, () => skus[sample()] as string) });
    const suffix = cacheEnabled ? "warm" : "nocache";
    // "Warm" means every sku was read once before measuring (100 per call, like a storefront's listing).
    if (cacheEnabled) {
      for (let start = 0; start < skus.length; start += 100) {
        await client.batchGetProducts({ skus: skus.slice(start, start + 100) });
      }
    }
    for (const [name, op] of [
      [`get-${suffix}`, get],
      [`batch-${suffix}`, batch],
    ] as const) {
      if (!CASES.has(name)) continue;
      // Warm-up at the same rate (fills the cache; JIT), then the measured run.
      await driveAtRate(RPS, Math.min(3, SECONDS), op);
      const before = await cacheCounters();
      const result = await driveAtRate(RPS, SECONDS, op);
      const after = await cacheCounters();
      if (cacheEnabled && after.total > before.total) {
        result.hitRatio = Number(((after.hit - before.hit) / (after.total - before.total)).toFixed(4));
      }
      results[name] = result;
    }
  } finally {
    client.close();
    await stop(server);
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
    const warm = await runCases(true, skus, pool);
    const noCache = await runCases(false, skus, undefined);
    process.stdout.write(
      `${JSON.stringify(
        {
          machine: { cpus: cpus().length, node: process.version },
          seconds: SECONDS,
          rps: RPS,
          skus: SKUS,
          zipfS: ZIPF_S,
          batchSize: BATCH,
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
  }
}

// The bench service's consumer group would otherwise stay on the broker.
async function deleteConsumerGroup(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
  const admin = new Kafka({ clientId: "catalog-bench", brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteGroups([`catalog-bench-${RUN_ID}`]).catch(() => undefined);
    await admin
      .deleteTopics({ topics: [`catalog-bench-${RUN_ID}.stock`, `catalog-bench-${RUN_ID}.stock.dlq`] })
      .catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

await main();
