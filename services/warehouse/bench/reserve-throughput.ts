// Reservation throughput, through gRPC and as plain SQL, on this machine. Not a test: prints JSON.
//   hot:    one sku, CONCURRENCY clients reserving 1 unit each
//   spread: SPREAD_SKUS skus, each request picks one at random
//   sql:    the naive transaction (conditional UPDATE + reservation INSERT + outbox INSERT) for comparison,
//           as a driver runs it (BEGIN, three statements, COMMIT: five round trips)
//   sql1:   the same naive transaction as one statement (one round trip), the stronger baseline
// The warehouse runs as its own process (node src/main.ts) on a throwaway schema, its relay publishing to
// Kafka, like in production. Each case also reports its CPU per operation (ms) by where it was spent: the
// load generator, the service, PostgreSQL and the Kafka broker (from /proc; Linux only). On a shared
// 2-core machine this varies far less between runs than throughput, and shows what a change saved.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@stockroom/grpc";
import {
  BENCH_JWT_SECRET,
  benchRunId,
  type ClosedLoopReport,
  closedLoop,
  cpuPerOperation,
  deleteTopicsWithPrefix,
  grpcOverHttp2,
  issueBenchToken,
  type ProcessGroups,
  spawnBenchService,
  stopChild,
  summarize,
  waitUntilReady,
} from "@stockroom/loadgen";
import {
  ReserveRequestSchema,
  WarehouseService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import pg from "pg";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SPREAD_SKUS = Number(process.env.BENCH_SPREAD_SKUS ?? 10_000);
const PORT = Number(process.env.BENCH_PORT ?? 50151);
// Comma-separated subset of grpc-hot, grpc-spread, sql-hot, sql-spread, sql1-hot, sql1-spread (default: all).
const CASES = new Set(
  (process.env.BENCH_CASES ?? "grpc-hot,grpc-spread,sql-hot,sql-spread,sql1-hot,sql1-spread").split(","),
);
const RUN_ID = benchRunId();
const SCHEMA = `bench_${RUN_ID}`;
// The service's relay publishes to topics of this run (deleted at the end), never to the real
// warehouse.stock.v1 that a running catalog consumes.
const TOPIC_PREFIX = `warehouse-bench-${RUN_ID}.`;
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const WAREHOUSE = "BENCH";
const STOCK_PER_SKU = 100_000_000;

if (!DATABASE_URL) {
  process.stderr.write("set TEST_DATABASE_URL or BENCH_DATABASE_URL (run via `npm run bench:warehouse`)\n");
  process.exit(2);
}

// The gRPC load comes from BENCH_GENERATORS worker threads (default 2), each with its own event loop and
// HTTP/2 connection, sharing the CONCURRENCY clients. By default they speak gRPC over node:http2
// (@stockroom/loadgen): the grpc-js client costs as much CPU per call as the server spends, on the same
// cores the server is measured on (docs/performance.md). BENCH_CLIENT=grpc-js uses the services' own client.
const spreadSku = (index: number) => `SPREAD-${index}`;
const GENERATORS = Number(process.env.BENCH_GENERATORS ?? 2);
const CLIENT = process.env.BENCH_CLIENT ?? "http2";

interface GeneratorJob {
  clients: number;
  seconds: number;
  /** One sku for every call, or undefined: each call picks one of SPREAD_SKUS at random. */
  sku: string | undefined;
  token: string;
}

// Runs in a worker thread: reserves 1 unit per call, each with a fresh idempotency key and reference.
async function generate(job: GeneratorJob): Promise<ClosedLoopReport> {
  const request = () => {
    const sku = job.sku ?? spreadSku(Math.floor(Math.random() * SPREAD_SKUS));
    return {
      idempotencyKey: randomUUID(),
      reference: { type: "cart", id: randomUUID() },
      lines: [{ sku, quantity: 1, warehouseCode: WAREHOUSE }],
    };
  };
  let call: () => Promise<void>;
  let close: () => void;
  if (CLIENT === "grpc-js") {
    const client = createClient(WarehouseService, `127.0.0.1:${PORT}`, {
      token: job.token,
      defaultDeadlineMs: 10_000,
    });
    call = () => client.reserve(request()).then(() => undefined);
    close = () => client.close();
  } else {
    const grpc = grpcOverHttp2(`127.0.0.1:${PORT}`, { token: job.token });
    const path = `/${WarehouseService.typeName}/${WarehouseService.method.reserve.name}`;
    call = () => grpc.unary(path, toBinary(ReserveRequestSchema, create(ReserveRequestSchema, request())));
    close = () => grpc.close();
  }
  // Warms this generator's connection and JIT, then waits for every generator to be ready: the clock
  // and the CPU accounting start together, after the threads have loaded their modules.
  for (let i = 0; i < 20; i++) await call().catch(() => undefined);
  parentPort?.postMessage("ready");
  await new Promise((resolve) => parentPort?.once("message", resolve));
  const report = await closedLoop(job.clients, job.seconds, call);
  close();
  return report;
}

async function driveGrpc(sku: string | undefined, token: string, onStart: () => Promise<void>) {
  const workers = Array.from({ length: GENERATORS }, (_, index) => {
    const job: GeneratorJob = {
      // CONCURRENCY clients in all, shared as evenly as they divide.
      clients: Math.floor(CONCURRENCY / GENERATORS) + (index < CONCURRENCY % GENERATORS ? 1 : 0),
      seconds: SECONDS,
      sku,
      token,
    };
    return new Worker(fileURLToPath(import.meta.url), { workerData: job });
  });
  const message = (worker: Worker) =>
    new Promise<unknown>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  try {
    await Promise.all(workers.map(message));
    await onStart();
    const reports = Promise.all(workers.map(message)) as Promise<ClosedLoopReport[]>;
    for (const worker of workers) worker.postMessage("go");
    return await reports;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

// The service's reserve batches over a case, from its /metrics: how many, their mean size, and the mean
// time from a batch's start to its outcome. Batches per second times the mean time is the share of the
// run a batch was in flight; the rest is the service answering and collecting the next batch.
async function batchTotals(): Promise<{
  count: number;
  requests: number;
  seconds: number;
  relaySends: number;
  relayRows: number;
}> {
  const text = await (await fetch(`http://127.0.0.1:${PORT + 1}/metrics`)).text();
  const read = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return {
    count: read("warehouse_reserve_batch_size_count"),
    requests: read("warehouse_reserve_batch_size_sum"),
    seconds: read("warehouse_reserve_batch_seconds_sum"),
    relaySends: read("outbox_publish_batch_rows_count"),
    relayRows: read("outbox_publish_batch_rows_sum"),
  };
}

function batchesBetween(
  before: Awaited<ReturnType<typeof batchTotals>>,
  after: Awaited<ReturnType<typeof batchTotals>>,
) {
  const count = after.count - before.count;
  const round = (n: number) => Number(n.toFixed(2));
  return {
    count,
    meanSize: round((after.requests - before.requests) / Math.max(1, count)),
    meanMs: round(((after.seconds - before.seconds) * 1000) / Math.max(1, count)),
    inFlightShare: round((after.seconds - before.seconds) / SECONDS),
    // The outbox relay's produce requests (the relay runs in the measured process unless split).
    relaySendsPerSecond: round((after.relaySends - before.relaySends) / SECONDS),
    relayMeanRows: round(
      (after.relayRows - before.relayRows) / Math.max(1, after.relaySends - before.relaySends),
    ),
  };
}

let checkpointsBeforeCases = true;

// Before each case: vacuum what the seed or the previous case wrote, so autovacuum does not wake in the
// middle of a measured case, then checkpoint, so every case starts from the same WAL state (the first
// change to a page after a checkpoint logs the whole page). Either, landing inside one case and not
// another, moved the cases' results by more than the differences between them.
// Empty tables are left alone: statistics saying "empty" make the foreign-key checks' cached plans scan
// the table (reservation_lines -> reservations slowed the batches as the case went on; docs/performance.md),
// which no database in service has.
async function settleDatabase(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = $1",
    [SCHEMA],
  );
  const filled: string[] = [];
  for (const { name } of rows) {
    const { rows: found } = await pool.query(`SELECT 1 FROM ${name} LIMIT 1`);
    if (found.length > 0) filled.push(name);
  }
  if (filled.length > 0) await pool.query(`VACUUM (ANALYZE) ${filled.join(", ")}`);
  try {
    await pool.query("CHECKPOINT");
  } catch (err) {
    // CHECKPOINT needs a superuser or pg_checkpoint; without it the cases run as they come (reported).
    if (!(err instanceof Error && "code" in err && err.code === "42501")) throw err;
    checkpointsBeforeCases = false;
  }
}

// PostgreSQL's write-ahead log over a case (the whole server's, so other work on it counts too): records,
// full-page images and bytes per operation. Each commit waits for its WAL to reach the disk.
interface WalTotals {
  records: number;
  fpi: number;
  bytes: number;
}

async function walTotals(pool: pg.Pool): Promise<WalTotals> {
  const { rows } = await pool.query<{ records: string; fpi: string; bytes: string }>(
    "SELECT wal_records AS records, wal_fpi AS fpi, wal_bytes AS bytes FROM pg_stat_wal",
  );
  const row = rows[0];
  return { records: Number(row?.records), fpi: Number(row?.fpi), bytes: Number(row?.bytes) };
}

function walBetween(before: WalTotals, after: WalTotals, operations: number) {
  const per = (n: number) => Number((n / Math.max(1, operations)).toFixed(2));
  return {
    records: per(after.records - before.records),
    fullPageImages: per(after.fpi - before.fpi),
    bytes: Math.round((after.bytes - before.bytes) / Math.max(1, operations)),
  };
}

function ratio(
  measured: { perSecond: number } | undefined,
  baseline: { perSecond: number } | undefined,
): number | undefined {
  if (!measured || !baseline || baseline.perSecond === 0) return undefined;
  return Number((measured.perSecond / baseline.perSecond).toFixed(2));
}

function failureSamples(reports: readonly ClosedLoopReport[]): string[] | undefined {
  const samples = [...new Set(reports.flatMap((report) => report.failureSamples))];
  return samples.length > 0 ? samples : undefined;
}

async function seed(pool: pg.Pool, skus: string[]): Promise<void> {
  // The naive transaction writes to a copy of the outbox (same columns, indexes and constraints, no NOTIFY
  // trigger), so the service's relay does not try to publish its placeholder events.
  await pool.query(`CREATE TABLE ${SCHEMA}.naive_outbox (LIKE ${SCHEMA}.outbox INCLUDING ALL)`);
  await pool.query(
    `INSERT INTO ${SCHEMA}.warehouses (code, name, capacity_units) VALUES ($1, 'Bench', 9000000000000000)`,
    [WAREHOUSE],
  );
  await pool.query(`INSERT INTO ${SCHEMA}.stock_levels (warehouse_code, sku) SELECT $1, unnest($2::text[])`, [
    WAREHOUSE,
    skus,
  ]);
  // Seeded through the ledger's own rules would take minutes for 10,000 skus; a receipt row per sku
  // keeps the ledger reconciling.
  await pool.query(
    `WITH l AS (UPDATE ${SCHEMA}.stock_levels SET on_hand = $2::bigint, version = 1 WHERE warehouse_code = $1::text RETURNING warehouse_code, sku)
     , lots AS (INSERT INTO ${SCHEMA}.stock_lots (warehouse_code, sku, lot_code, on_hand) SELECT warehouse_code, sku, '', $2::bigint FROM l)
     INSERT INTO ${SCHEMA}.stock_movements (warehouse_code, sku, reason, actor, on_hand_delta, on_hand_after,
       reserved_after, committed_after, safety_stock_after, damaged_after, quality_control_after, incoming_after, level_version)
     SELECT warehouse_code, sku, 'receipt', 'bench', $2::bigint, $2::bigint, 0, 0, 0, 0, 0, 0, 1 FROM l`,
    [WAREHOUSE, STOCK_PER_SKU],
  );
  // A warehouse in service keeps at least a day of idempotent answers: the bench starts with 200,000 of
  // them rather than an empty table, so the planner plans for the table it will meet.
  await pool.query(
    `INSERT INTO ${SCHEMA}.idempotency_records (principal, operation, idempotency_key, fingerprint, expires_at, response)
     SELECT 'bench-seed', 'reserve', 'seed-' || g, 'seed', now() + interval '25 hours', 'null' FROM generate_series(1, 200000) g`,
  );
  // A database in service has statistics; a freshly seeded one gets them now, not from autovacuum later.
  await pool.query(
    `ANALYZE ${SCHEMA}.stock_levels, ${SCHEMA}.stock_lots, ${SCHEMA}.warehouses, ${SCHEMA}.idempotency_records`,
  );
}

// BENCH_LAYOUT=split runs the outbox relay in a worker process of its own (WAREHOUSE_COMPONENTS), as a
// cluster may; on 2 cores the extra process measured no better than one process running everything
// (docs/performance.md).
const LAYOUT = process.env.BENCH_LAYOUT ?? "single";

function startWarehouse(components: string, port: number): ChildProcess {
  return spawnBenchService(fileURLToPath(new URL("..", import.meta.url)), {
    DATABASE_URL,
    WAREHOUSE_DB_SCHEMA: SCHEMA,
    WAREHOUSE_GRPC_PORT: String(port),
    WAREHOUSE_METRICS_PORT: String(port + 1),
    WAREHOUSE_HTTP_PORT: String(port + 2),
    WAREHOUSE_COMPONENTS: components,
    WAREHOUSE_OUTBOX_TOPIC_PREFIX: TOPIC_PREFIX,
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: "warn",
    DB_POOL_MAX: process.env.BENCH_POOL_MAX ?? "20",
  });
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: CONCURRENCY });
  const servers =
    LAYOUT === "single"
      ? [startWarehouse("api,relay,sweeper", PORT)]
      : [startWarehouse("api,sweeper", PORT), startWarehouse("relay", PORT + 2)];
  const token = await issueBenchToken(["service"]);
  const client = createClient(WarehouseService, `127.0.0.1:${PORT}`, { token, defaultDeadlineMs: 10_000 });
  try {
    // Wait for the service (it applies the migrations into the bench schema on start).
    await waitUntilReady(() => client.getStock({ sku: "WARMUP" }), { attempts: 102, intervalMs: 200 });
    const hotSku = "HOT-1";
    const spread = Array.from({ length: SPREAD_SKUS }, (_, i) => spreadSku(i));
    await seed(pool, [hotSku, ...spread]);

    const pick = () => spread[Math.floor(Math.random() * spread.length)] as string;

    const naiveSql = (chooseSku: () => string) => async () => {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        const sku = chooseSku();
        const id = randomUUID();
        const r = await c.query(
          `UPDATE ${SCHEMA}.stock_levels SET reserved = reserved + 1, version = version + 1
           WHERE warehouse_code = $1 AND sku = $2 AND on_hand - reserved - committed - safety_stock >= 1`,
          [WAREHOUSE, sku],
        );
        if (r.rowCount !== 1) throw new Error("insufficient");
        await c.query(
          `INSERT INTO ${SCHEMA}.reservations (reservation_id, reference_type, reference_id, status, expires_at)
           VALUES ($1::uuid, 'cart', $1::text, 'active', now() + interval '30 minutes')`,
          [id],
        );
        await c.query(
          `INSERT INTO ${SCHEMA}.naive_outbox (event_id, topic, message_key, aggregate_type, aggregate_id, aggregate_version, event_type, envelope)
           VALUES ($1::uuid, 'bench', $2, 'bench', $1::text, 1, 'Bench', '\\x00')`,
          [id, sku],
        );
        await c.query("COMMIT");
      } catch (err) {
        await c.query("ROLLBACK");
        throw err;
      } finally {
        c.release();
      }
    };

    // Where each case's CPU went, per operation (ms): the load generator's threads, the service,
    // PostgreSQL, the Kafka broker.
    const cpuGroups: ProcessGroups = {
      service: (_, pid) => servers.some((server) => server.pid === pid),
      postgres: (command) => command.startsWith("postgres:") || command.includes("/bin/postgres "),
      kafka: (command) => command.includes("kafka.Kafka"),
    };
    const runGrpc = async (name: string, sku: string | undefined) => {
      if (!CASES.has(name)) return undefined;
      await settleDatabase(pool);
      let cpu = cpuPerOperation(cpuGroups);
      let batchesBefore = await batchTotals();
      let walBefore = await walTotals(pool);
      const reports = await driveGrpc(sku, token, async () => {
        batchesBefore = await batchTotals();
        walBefore = await walTotals(pool);
        cpu = cpuPerOperation(cpuGroups);
      });
      const summary = summarize(reports);
      // The generator's CPU is its threads' own over the measured loop, not module loading before it.
      const generator = reports.reduce((sum, report) => sum + report.cpuUs, 0) / 1000;
      const cpuMsPerOp = cpu(summary.operations, { generator });
      const walPerOp = walBetween(walBefore, await walTotals(pool), summary.operations);
      const batches = batchesBetween(batchesBefore, await batchTotals());
      return { ...summary, cpuMsPerOp, walPerOp, batches, failureSamples: failureSamples(reports) };
    };
    const runSql = async (name: string, op: () => Promise<void>) => {
      if (!CASES.has(name)) return undefined;
      await settleDatabase(pool);
      const cpu = cpuPerOperation(cpuGroups);
      const walBefore = await walTotals(pool);
      const report = await closedLoop(CONCURRENCY, SECONDS, op);
      const summary = summarize([report]);
      // The naive transactions' client is this thread.
      const generator = report.cpuUs / 1000;
      return {
        ...summary,
        cpuMsPerOp: cpu(summary.operations, { generator }),
        walPerOp: walBetween(walBefore, await walTotals(pool), summary.operations),
        failureSamples: failureSamples([report]),
      };
    };
    const grpcHot = await runGrpc("grpc-hot", hotSku);
    const grpcSpread = await runGrpc("grpc-spread", undefined);
    const sqlHot = await runSql(
      "sql-hot",
      naiveSql(() => hotSku),
    );
    const sqlSpread = await runSql("sql-spread", naiveSql(pick));
    // The same naive transaction as one statement: one round trip instead of five, its own implicit
    // transaction. The stronger baseline: on this machine each round trip costs more than the SQL.
    const naiveOneStatement = (chooseSku: () => string) => async () => {
      const sku = chooseSku();
      const id = randomUUID();
      const r = await pool.query(
        `WITH u AS (
           UPDATE ${SCHEMA}.stock_levels SET reserved = reserved + 1, version = version + 1
           WHERE warehouse_code = $1 AND sku = $2 AND on_hand - reserved - committed - safety_stock >= 1
           RETURNING 1),
         r AS (
           INSERT INTO ${SCHEMA}.reservations (reservation_id, reference_type, reference_id, status, expires_at)
           SELECT $3::uuid, 'cart', $3::text, 'active', now() + interval '30 minutes' FROM u
           RETURNING reservation_id)
         INSERT INTO ${SCHEMA}.naive_outbox (event_id, topic, message_key, aggregate_type, aggregate_id, aggregate_version, event_type, envelope)
         SELECT r.reservation_id, 'bench', $2, 'bench', r.reservation_id::text, 1, 'Bench', '\\x00' FROM r`,
        [WAREHOUSE, sku, id],
      );
      if (r.rowCount !== 1) throw new Error("insufficient");
    };
    const sql1Hot = await runSql(
      "sql1-hot",
      naiveOneStatement(() => hotSku),
    );
    const sql1Spread = await runSql("sql1-spread", naiveOneStatement(pick));

    const { rows } = await pool.query(
      `SELECT count(*) FILTER (WHERE reserved + committed > on_hand OR reserved < 0) AS oversold,
              (SELECT count(*) FROM ${SCHEMA}.reservations) AS reservations
       FROM ${SCHEMA}.stock_levels`,
    );
    process.stdout.write(
      `${JSON.stringify(
        {
          machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
          seconds: SECONDS,
          concurrency: CONCURRENCY,
          generators: { threads: GENERATORS, client: CLIENT },
          layout: LAYOUT,
          spreadSkus: SPREAD_SKUS,
          checkpointsBeforeCases,
          grpc: { hot: grpcHot, spread: grpcSpread },
          sql: { hot: sqlHot, spread: sqlSpread },
          sqlOneStatement: { hot: sql1Hot, spread: sql1Spread },
          // gRPC throughput over the naive transaction's, from this run: the machine's speed drifts between
          // runs far more than between the cases of one run.
          grpcOverNaive: {
            hot: ratio(grpcHot, sqlHot),
            spread: ratio(grpcSpread, sqlSpread),
            hotOneStatement: ratio(grpcHot, sql1Hot),
            spreadOneStatement: ratio(grpcSpread, sql1Spread),
          },
          oversoldLevels: Number(rows[0]?.oversold ?? -1),
          reservationsWritten: Number(rows[0]?.reservations ?? 0),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    client.close();
    await Promise.all(servers.map(stopChild));
    await deleteTopicsWithPrefix(KAFKA_BROKERS, TOPIC_PREFIX);
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool.end();
  }
}

if (isMainThread) await main();
else parentPort?.postMessage(await generate(workerData as GeneratorJob));
