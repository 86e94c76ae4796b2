// Search latency on the PostgreSQL engine at a fixed arrival rate, on this machine. Not a test: prints JSON.
// Seeds BENCH_PRODUCTS generated products (test/support/generated-catalog.ts) into a throwaway schema,
// then sends searches open-loop at BENCH_RPS for BENCH_SECONDS, queries drawn from a Zipf distribution
// (exponent BENCH_ZIPF_S) over the relevance suite's labelled queries and single words of the catalog
// (latency counts from the scheduled send, so queueing shows). While the searches run, stock changes
// arrive at BENCH_STOCK_EPS per second through the stock consumer's use case (applyStockLevelChanged, in
// a transaction like the consumer's; Kafka is not in this path), and "index lag" is the time from a
// change's arrival to its document showing the new availability.
// CPU: this process's CPU per query, and PostgreSQL's (every backend of the run's schema's pools, from
// /proc) per query. In-process: the gRPC layer is not in these figures.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createDb, createPool, migrate } from "@stockroom/db";
import { uniqueSuffix } from "@stockroom/testkit";
import pg from "pg";
import { buildUseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps } from "../src/app/use-case-deps.ts";
import type { SearchDatabase } from "../src/data/database.ts";
import { createPostgresSearchEngine } from "../src/data/postgres/postgres-search-engine.ts";
import { labelledQueries } from "../test/relevance-suite.ts";
import { generateCatalog } from "../test/support/generated-catalog.ts";

const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const RPS = Number(process.env.BENCH_RPS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const STOCK_EPS = Number(process.env.BENCH_STOCK_EPS ?? 500);
const ZIPF_S = Number(process.env.BENCH_ZIPF_S ?? 1.0);
const quiet = { info() {}, warn() {}, error() {} };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function zipfSampler(n: number, s: number) {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w / total;
    cumulative.push(sum);
  }
  return () => {
    const r = Math.random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// CPU ticks (user + system) of PostgreSQL backends whose application_name is the run's.
async function postgresCpuMs(admin: pg.Client, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
    [applicationName],
  );
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The backend ended.
    }
  }
  return ticks * 10;
}

async function main(): Promise<void> {
  if (!DATABASE_URL) throw new Error("set BENCH_DATABASE_URL or TEST_DATABASE_URL");
  const schema = `bench_search_${uniqueSuffix()}`;
  const applicationName = `${schema}-app`;
  const pool = createPool({ connectionString: DATABASE_URL, schema, max: 8, applicationName, logger: quiet });
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await migrate({
      pool,
      schema,
      directory: fileURLToPath(new URL("../../../migrations/search", import.meta.url)),
      logger: quiet,
    });
    const db = createDb<SearchDatabase>(pool);
    const engine = createPostgresSearchEngine({ db: createDb(pool), retireGraceMs: 0 });
    const deps = createUseCaseDeps(db, engine);
    const useCases = buildUseCases(deps, {
      priceBucketBounds: [2_500, 5_000, 10_000, 25_000],
      rebuild: { pageSize: 100, logger: quiet },
    });
    const catalog = generateCatalog(PRODUCTS);
    const seedStarted = Date.now();
    for (let i = 0; i < catalog.length; i += 1_000) {
      await engine.upsertDocuments(catalog.slice(i, i + 1_000).map((p) => p.document));
    }
    await admin.query(`ANALYZE ${schema}.documents`);
    const seedMs = Date.now() - seedStarted;
    const words = [...new Set(catalog.slice(0, 2_000).flatMap((p) => [p.model, ...p.type.words.split(" ")]))];
    const queries = [...labelledQueries(catalog).map((q) => q.text), ...words];
    const nextQuery = zipfSampler(queries.length, ZIPF_S);

    const latencies: number[] = [];
    const lags: number[] = [];
    let errors = 0;
    const cpuBefore = process.cpuUsage();
    const pgBefore = await postgresCpuMs(admin, applicationName);
    const started = performance.now();
    const total = Math.floor(RPS * SECONDS);
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RPS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const text = queries[nextQuery()] as string;
      inFlight.push(
        engine
          .search({
            text,
            filters: { brands: [], inStockOnly: i % 3 === 0, attributes: [] },
            sort: "relevance",
            pageSize: 20,
            facets: i % 2 === 0 ? ["brand", "category", "price", "in_stock"] : [],
            priceBucketBounds: [2_500, 5_000, 10_000, 25_000],
          })
          .then(
            () => void latencies.push(performance.now() - due),
            () => void errors++,
          ),
      );
      // Stock changes at their own rate, interleaved with the searches.
      const changesDue = Math.floor(((performance.now() - started) / 1000) * STOCK_EPS) - lags.length;
      for (let c = 0; c < Math.min(changesDue, 20); c++) {
        const product = catalog[Math.floor(Math.random() * catalog.length)];
        if (!product) continue;
        const arrived = performance.now();
        const level = {
          sku: product.document.product.sku,
          warehouseCode: "B1",
          available: Math.floor(Math.random() * 3),
          levelVersion: Math.floor(Date.now() * 1000 + Math.random() * 1000),
          updatedAt: new Date(),
        };
        lags.push(0);
        const slot = lags.length - 1;
        inFlight.push(
          deps
            .transaction((trx) => useCases.stockEvents.applyStockLevelChanged(trx, level))
            .then(
              () => {
                lags[slot] = performance.now() - arrived;
              },
              () => void errors++,
            ),
        );
      }
    }
    await Promise.all(inFlight);
    const elapsedS = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const pgCpu = (await postgresCpuMs(admin, applicationName)) - pgBefore;
    latencies.sort((a, b) => a - b);
    lags.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify(
        {
          engine: "postgres",
          products: PRODUCTS,
          seedMs,
          targetRps: RPS,
          achievedRps: Math.round(latencies.length / elapsedS),
          searches: latencies.length,
          errors,
          p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
          p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
          benchCpuMsPerQuery:
            Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, latencies.length)) * 100) / 100,
          postgresCpuMsPerOperation:
            Math.round((pgCpu / Math.max(1, latencies.length + lags.length)) * 100) / 100,
          stockChanges: lags.length,
          stockChangesPerSecond: Math.round(lags.length / elapsedS),
          indexLagP50Ms: Math.round(percentile(lags, 50) * 10) / 10,
          indexLagP99Ms: Math.round(percentile(lags, 99) * 10) / 10,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

await main();
