// End-to-end checkout throughput on this machine, next to the warehouse's Reserve throughput measured in
// the same run. Not a test: prints JSON. Every service runs as its own process on throwaway schemas and
// topics of this run: the warehouse, the catalog (with Redis), the payment sandbox and the order service
// (node src/main.ts each), like in production.
//   reserve:   BENCH_CONCURRENCY clients calling the warehouse's Reserve, 1 unit of a random sku of
//              BENCH_SKUS, for BENCH_SECONDS (the baseline: a checkout does one reserve and one confirm)
//   checkout:  BENCH_CONCURRENCY customers, each in a loop: CreateCart, AddCartLine (a random sku),
//              SetShippingDestination, SetPaymentMethod (a sandbox card that approves at once),
//              StartCheckout, then GetOrder every BENCH_POLL_MS until the order is confirmed
// Reported: confirmed checkouts per second and its ratio to Reserve per second (target ≥ 0.5), p50/p99 of
// StartCheckout and of StartCheckout-to-confirmed, the mean time of each saga step (from the order
// service's own histogram), and the CPU per operation of every process group (from /proc).
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@stockroom/grpc";
import {
  BENCH_JWT_SECRET,
  benchRunId,
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
import { startSandboxProcess } from "@stockroom/payment-sandbox/sandbox-process";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import {
  ReserveRequestSchema,
  WarehouseService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import pg from "pg";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SKUS = Number(process.env.BENCH_SKUS ?? 10_000);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 200);
// A checkout not confirmed by then counts as a failure (the loop goes on).
const CHECKOUT_TIMEOUT_MS = Number(process.env.BENCH_CHECKOUT_TIMEOUT_MS ?? 30_000);
const BASE_PORT = Number(process.env.BENCH_PORT ?? 50171);
const RUN_ID = benchRunId();
const SCHEMAS = {
  warehouse: `bench_${RUN_ID}_wh`,
  catalog: `bench_${RUN_ID}_cat`,
  order: `bench_${RUN_ID}_ord`,
  sandbox: `bench_${RUN_ID}_pay`,
};
const TOPIC_PREFIX = `order-bench-${RUN_ID}.`;
const WAREHOUSE = "BENCH";
const STOCK_PER_SKU = 100_000_000;
const APPROVING_CARD = "4242424242424242";
const WEBHOOK_SECRET = "whsec_bench_only_0123456789abcdef";
const SERVICES = fileURLToPath(new URL("../..", import.meta.url));
const ports = {
  warehouse: BASE_PORT,
  catalog: BASE_PORT + 10,
  order: BASE_PORT + 20,
};

if (!DATABASE_URL) {
  process.stderr.write("set TEST_DATABASE_URL or BENCH_DATABASE_URL (run via `npm run bench:order`)\n");
  process.exit(2);
}

const sku = (index: number) => `B-${index}`;
const randomSku = () => sku(Math.floor(Math.random() * SKUS));

function start(service: string, prefix: string, port: number, env: Record<string, string>): ChildProcess {
  return spawnBenchService(`${SERVICES}/${service}`, {
    DATABASE_URL,
    JWT_SECRET: BENCH_JWT_SECRET,
    KAFKA_BROKERS,
    LOG_LEVEL: "warn",
    DB_POOL_MAX: process.env.BENCH_POOL_MAX ?? "20",
    [`${prefix}_GRPC_PORT`]: String(port),
    [`${prefix}_METRICS_PORT`]: String(port + 1),
    [`${prefix}_HTTP_PORT`]: String(port + 2),
    [`${prefix}_OUTBOX_TOPIC_PREFIX`]: TOPIC_PREFIX,
    ...env,
  });
}

async function seed(pool: pg.Pool, skus: string[]): Promise<void> {
  const wh = SCHEMAS.warehouse;
  await pool.query(
    `INSERT INTO ${wh}.warehouses (code, name, capacity_units) VALUES ($1, 'Bench', 9000000000000000)`,
    [WAREHOUSE],
  );
  await pool.query(`INSERT INTO ${wh}.stock_levels (warehouse_code, sku) SELECT $1, unnest($2::text[])`, [
    WAREHOUSE,
    skus,
  ]);
  // As the warehouse's own bench seeds it: a receipt row per sku keeps the ledger reconciling.
  await pool.query(
    `WITH l AS (UPDATE ${wh}.stock_levels SET on_hand = $2::bigint, version = 1 WHERE warehouse_code = $1::text RETURNING warehouse_code, sku)
     , lots AS (INSERT INTO ${wh}.stock_lots (warehouse_code, sku, lot_code, on_hand) SELECT warehouse_code, sku, '', $2::bigint FROM l)
     INSERT INTO ${wh}.stock_movements (warehouse_code, sku, reason, actor, on_hand_delta, on_hand_after,
       reserved_after, committed_after, safety_stock_after, damaged_after, quality_control_after, incoming_after, level_version)
     SELECT warehouse_code, sku, 'receipt', 'bench', $2::bigint, $2::bigint, 0, 0, 0, 0, 0, 0, 1 FROM l`,
    [WAREHOUSE, STOCK_PER_SKU],
  );
  await pool.query(
    `INSERT INTO ${SCHEMAS.catalog}.products (sku, name, brand, category_path, status, price_minor, currency)
     SELECT s, 'Bench ' || s, 'bench', 'bench/items', 'active', 1999, 'EUR' FROM unnest($1::text[]) AS s`,
    [skus],
  );
  await pool.query(`ANALYZE ${wh}.stock_levels, ${wh}.stock_lots, ${SCHEMAS.catalog}.products`);
}

// Sums of a histogram's series (all labels) from a /metrics text, by one label's value.
function histogramByLabel(
  text: string,
  name: string,
  label: string,
): Map<string, { sum: number; count: number }> {
  const out = new Map<string, { sum: number; count: number }>();
  const line = new RegExp(`^${name}_(sum|count)\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const match of text.matchAll(line)) {
    const key = new RegExp(`${label}="([^"]*)"`).exec(match[2] ?? "")?.[1] ?? "";
    const entry = out.get(key) ?? { sum: 0, count: 0 };
    if (match[1] === "sum") entry.sum += Number(match[3]);
    else entry.count += Number(match[3]);
    out.set(key, entry);
  }
  return out;
}

async function orderMetrics() {
  return (await fetch(`http://127.0.0.1:${ports.order + 1}/metrics`)).text();
}

// Mean ms of each saga step run over the case, and runs per checkout (retries show here).
function stepsBetween(before: string, after: string, checkouts: number) {
  const a = histogramByLabel(before, "order_checkout_step_seconds", "step");
  const b = histogramByLabel(after, "order_checkout_step_seconds", "step");
  const steps: Record<string, { meanMs: number; runsPerCheckout: number }> = {};
  for (const [step, end] of b) {
    const begin = a.get(step) ?? { sum: 0, count: 0 };
    const runs = end.count - begin.count;
    steps[step] = {
      meanMs: Number((((end.sum - begin.sum) * 1000) / Math.max(1, runs)).toFixed(1)),
      runsPerCheckout: Number((runs / Math.max(1, checkouts)).toFixed(2)),
    };
  }
  return steps;
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (p: number) => Number((sorted[Math.floor((sorted.length - 1) * p)] ?? 0).toFixed(1));
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const webhookPort = ports.order + 3;
  const sandbox = await startSandboxProcess({
    databaseUrl: DATABASE_URL as string,
    schema: SCHEMAS.sandbox,
    webhookSecret: WEBHOOK_SECRET,
    webhookUrl: `http://127.0.0.1:${webhookPort}/webhooks/sandbox`,
  });
  const children: ChildProcess[] = [
    start("warehouse", "WAREHOUSE", ports.warehouse, { WAREHOUSE_DB_SCHEMA: SCHEMAS.warehouse }),
    start("catalog", "CATALOG", ports.catalog, {
      CATALOG_DB_SCHEMA: SCHEMAS.catalog,
      REDIS_URL,
      CATALOG_CACHE_KEY_PREFIX: `order-bench-${RUN_ID}:`,
      CATALOG_STOCK_CONSUMER_GROUP: `order-bench-catalog-${RUN_ID}`,
      CATALOG_STOCK_EVENTS_TOPIC: `${TOPIC_PREFIX}warehouse.stock.v1`,
      WAREHOUSE_GRPC_ADDRESS: `127.0.0.1:${ports.warehouse}`,
    }),
    start("order", "ORDER", ports.order, {
      ORDER_DB_SCHEMA: SCHEMAS.order,
      ORDER_WEBHOOK_PORT: String(webhookPort),
      ORDER_WAREHOUSE_GRPC_ADDRESS: `127.0.0.1:${ports.warehouse}`,
      ORDER_CATALOG_GRPC_ADDRESS: `127.0.0.1:${ports.catalog}`,
      ORDER_PAYMENT_SANDBOX_URL: sandbox.baseUrl,
      ORDER_PAYMENT_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
    }),
  ];
  const [serviceToken, storefrontToken] = await Promise.all([
    issueBenchToken(["service"]),
    issueBenchToken(["storefront"]),
  ]);
  const warehouse = createClient(WarehouseService, `127.0.0.1:${ports.warehouse}`, {
    token: serviceToken,
    defaultDeadlineMs: 10_000,
  });
  const order = createClient(OrderService, `127.0.0.1:${ports.order}`, {
    token: storefrontToken,
    defaultDeadlineMs: 30_000,
  });
  // Interrupted (Ctrl-C, a timeout): the services and the schemas go anyway.
  let cleaned: Promise<void> | undefined;
  const cleanup = () => {
    cleaned ??= (async () => {
      warehouse.close();
      order.close();
      await Promise.all(children.map(stopChild));
      await sandbox.stop();
      await deleteTopicsWithPrefix(KAFKA_BROKERS.split(","), TOPIC_PREFIX);
      for (const schema of Object.values(SCHEMAS))
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    })();
    return cleaned;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    // Each service applies its migrations on start; then the stock and the products are seeded.
    await waitUntilReady(() => warehouse.getStock({ sku: "WARMUP" }), { attempts: 150, intervalMs: 200 });
    await waitUntilReady(
      () =>
        order.getOrder({ orderId: randomUUID() }).catch((err: { code?: number }) => {
          if (err.code !== 5) throw err;
        }),
      { attempts: 150, intervalMs: 200 },
    );
    await waitUntilReady(() => pool.query(`SELECT 1 FROM ${SCHEMAS.catalog}.products LIMIT 1`), {
      attempts: 150,
      intervalMs: 200,
    });
    await seed(
      pool,
      Array.from({ length: SKUS }, (_, i) => sku(i)),
    );

    const groups: ProcessGroups = {
      warehouse: (_, pid) => pid === children[0]?.pid,
      catalog: (_, pid) => pid === children[1]?.pid,
      order: (_, pid) => pid === children[2]?.pid,
      sandbox: (_, pid) => pid === sandbox.pid(),
      postgres: (command) => command.startsWith("postgres:") || command.includes("/bin/postgres "),
      kafka: (command) => command.includes("kafka.Kafka"),
      redis: (command) => command.includes("redis-server"),
    };

    // The baseline: Reserve through the same warehouse process, from a light HTTP/2 client.
    const grpc = grpcOverHttp2(`127.0.0.1:${ports.warehouse}`, { token: serviceToken });
    const reservePath = `/${WarehouseService.typeName}/${WarehouseService.method.reserve.name}`;
    const reserveOnce = () =>
      grpc.unary(
        reservePath,
        toBinary(
          ReserveRequestSchema,
          create(ReserveRequestSchema, {
            idempotencyKey: randomUUID(),
            reference: { type: "cart", id: randomUUID() },
            lines: [{ sku: randomSku(), quantity: 1, warehouseCode: WAREHOUSE }],
          }),
        ),
      );
    for (let i = 0; i < 50; i++) await reserveOnce().catch(() => undefined);
    const loadBefore = loadavg()[0] ?? 0;
    let cpu = cpuPerOperation(groups);
    const reserveReport = await closedLoop(CONCURRENCY, SECONDS, reserveOnce);
    const reserve = { ...summarize([reserveReport]), cpuMsPerOp: cpu(reserveReport.latencies.length) };
    grpc.close();

    // The checkouts.
    const startLatencies: number[] = [];
    const confirmLatencies: number[] = [];
    const outcomes = new Map<string, number>();
    let customer = 0;
    const checkoutOnce = async () => {
      const key = () => randomUUID();
      const { cart } = await order.createCart({ idempotencyKey: key(), customerId: `bench-${customer++}` });
      const cartId = cart?.cartId ?? "";
      await order.addCartLine({ idempotencyKey: key(), cartId, sku: randomSku(), quantity: 1 });
      await order.setShippingDestination({
        idempotencyKey: key(),
        cartId,
        shippingDestination: {
          recipientName: "Bench",
          line1: "1 Main St",
          postalCode: "10115",
          city: "Berlin",
          countryCode: "DE",
        },
      });
      await order.setPaymentMethod({
        idempotencyKey: key(),
        cartId,
        paymentMethod: { type: PaymentMethodType.CARD, token: APPROVING_CARD },
      });
      const started = performance.now();
      const { orderId } = await order.startCheckout({ idempotencyKey: key(), cartId });
      const answered = performance.now();
      startLatencies.push(answered - started);
      for (;;) {
        if (performance.now() - started > CHECKOUT_TIMEOUT_MS) {
          outcomes.set("timed_out", (outcomes.get("timed_out") ?? 0) + 1);
          throw new Error(`order ${orderId} not confirmed within ${CHECKOUT_TIMEOUT_MS} ms`);
        }
        const { order: now } = await order.getOrder({ orderId });
        const status = now?.status ?? OrderStatus.UNSPECIFIED;
        if (status === OrderStatus.CONFIRMED) break;
        if (status === OrderStatus.REJECTED || status === OrderStatus.CANCELLED) {
          outcomes.set(OrderStatus[status], (outcomes.get(OrderStatus[status]) ?? 0) + 1);
          throw new Error(`order ${orderId} ${OrderStatus[status]}`);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      confirmLatencies.push(performance.now() - started);
    };
    for (let i = 0; i < 4; i++) await checkoutOnce().catch(() => undefined);
    startLatencies.length = 0;
    confirmLatencies.length = 0;
    const metricsBefore = await orderMetrics();
    cpu = cpuPerOperation(groups);
    const checkoutReport = await closedLoop(CONCURRENCY, SECONDS, checkoutOnce);
    const checkouts = summarize([checkoutReport]);
    const steps = stepsBetween(metricsBefore, await orderMetrics(), checkouts.operations);
    const loadAfter = loadavg()[0] ?? 0;

    process.stdout.write(
      `${JSON.stringify(
        {
          machine: {
            cpus: cpus().length,
            node: process.version,
            loadAverage1m: { before: loadBefore, after: loadAfter },
          },
          seconds: SECONDS,
          concurrency: CONCURRENCY,
          skus: SKUS,
          reserve,
          checkout: {
            confirmedPerSecond: Number((checkouts.operations / checkoutReport.elapsedS).toFixed(2)),
            failures: checkouts.failures,
            failureSamples: checkoutReport.failureSamples,
            refusedOrders: Object.fromEntries(outcomes),
            // The whole customer loop (four cart calls, StartCheckout, polling until confirmed).
            loop: { p50Ms: checkouts.p50Ms, p99Ms: checkouts.p99Ms },
            startCheckout: percentiles(startLatencies),
            startToConfirmed: percentiles(confirmLatencies),
            sagaSteps: steps,
            cpuMsPerCheckout: cpu(checkouts.operations),
          },
          confirmedOverReserve: Number(
            (checkouts.operations / checkoutReport.elapsedS / Math.max(1e-9, reserve.perSecond)).toFixed(3),
          ),
          target: 0.5,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await cleanup();
  }
}

await main();
