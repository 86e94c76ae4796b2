// Every Grafana panel's query, evaluated by a real Prometheus (Debian's package) that scrapes a real
// warehouse, catalog and order service (their own processes, schemas, topics and key prefixes; the order
// service paying through the payment sandbox, its own process too) after a little traffic: each query
// must parse, name only metrics the services export, and return series.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, isGrpcCallError, status } from "@stockroom/grpc";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { CheckoutStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { PaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import {
  createTestSchema,
  requireTestEnv,
  type TestSchema,
  testKafka,
  uniqueSuffix,
} from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDashboards, metricNames, panelQueries, resolveVariables } from "../grafana/dashboard-queries.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "dashboards-test-secret-0123456789abcdef";
const WEBHOOK_SECRET = "whsec_dashboards_test_0123456789";
const dashboards = loadDashboards();
const queries = panelQueries(dashboards);

describe("Grafana dashboards", () => {
  it("have unique uids, the datasource variable on every panel and at least one query each", () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      "stockroom-cache",
      "stockroom-checkout",
      "stockroom-event-pipeline",
      "stockroom-inventory",
      "stockroom-overview",
    ]);
    for (const d of dashboards) {
      for (const p of d.panels.filter((panel) => panel.type !== "row")) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
        expect(p.datasource?.uid, `${d.title} / ${p.title}`).toBe("${datasource}");
        expect(p.targets?.length, `${d.title} / ${p.title}`).toBeGreaterThan(0);
      }
    }
  });

  it("finds the metric names of a query", () => {
    expect(
      metricNames(
        'sum by (app, grpc_method) (rate(grpc_server_handled_total{app=~".+",grpc_code!="OK"}[1m])) / sum(up) or vector(0)',
      ),
    ).toEqual(["grpc_server_handled_total", "up"]);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface Process {
  child: ChildProcess;
  output: string[];
}

function startProcess(command: string, args: string[], cwd: string, env: Record<string, string>): Process {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output };
}

async function stopProcess(p: Process | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((resolve) => p.child.once("exit", resolve));
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, check: () => Promise<boolean>, processes: Process[], ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const p of processes) {
      if (p.child.exitCode !== null)
        throw new Error(`${what}: a process exited early:\n${p.output.join("")}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: timed out\n${processes.map((p) => p.output.join("").slice(-3000)).join("\n---\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("every dashboard panel against a real Prometheus scraping the services", () => {
  const suffix = uniqueSuffix();
  const topicPrefix = `dash${suffix}.`;
  const processes: Process[] = [];
  const schemas: TestSchema[] = [];
  let prometheus: Process | undefined;
  let promUrl = "";
  let workdir = "";

  beforeAll(async () => {
    const databaseUrl = requireTestEnv("TEST_DATABASE_URL");
    const brokers = requireTestEnv("TEST_KAFKA_BROKERS");
    const redisUrl = requireTestEnv("TEST_REDIS_URL");
    const [warehouseSchema, catalogSchema, orderSchema, sandboxSchema] = await Promise.all(
      Array.from({ length: 4 }, () => createTestSchema()),
    );
    schemas.push(warehouseSchema, catalogSchema, orderSchema, sandboxSchema);
    const [
      wGrpc,
      wMetrics,
      cGrpc,
      cMetrics,
      promPort,
      wHttp,
      cHttp,
      oGrpc,
      oMetrics,
      oWebhooks,
      sandboxPort,
    ] = await Promise.all(Array.from({ length: 11 }, () => freePort()));
    const common = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers,
      JWT_SECRET: SECRET,
      LOG_LEVEL: "warn",
    };
    const warehouse = startProcess("node", ["src/main.ts"], join(root, "services/warehouse"), {
      ...common,
      WAREHOUSE_GRPC_PORT: String(wGrpc),
      WAREHOUSE_METRICS_PORT: String(wMetrics),
      WAREHOUSE_HTTP_PORT: String(wHttp),
      WAREHOUSE_DB_SCHEMA: warehouseSchema.schema,
      WAREHOUSE_OUTBOX_TOPIC_PREFIX: topicPrefix,
      WAREHOUSE_TOPIC_PARTITIONS: "1",
      WAREHOUSE_OUTBOX_POLL_INTERVAL_MS: "100",
      WAREHOUSE_EXPIRY_SWEEP_INTERVAL_MS: "200",
      WAREHOUSE_COMPONENTS: "api,relay,sweeper",
    });
    const catalog = startProcess("node", ["src/main.ts"], join(root, "services/catalog"), {
      ...common,
      CATALOG_GRPC_PORT: String(cGrpc),
      CATALOG_METRICS_PORT: String(cMetrics),
      CATALOG_HTTP_PORT: String(cHttp),
      CATALOG_DB_SCHEMA: catalogSchema.schema,
      CATALOG_REDIS_URL: redisUrl,
      CATALOG_CACHE_KEY_PREFIX: `dash${suffix}:`,
      CATALOG_STOCK_EVENTS_TOPIC: `${topicPrefix}warehouse.stock.v1`,
      CATALOG_STOCK_CONSUMER_GROUP: `dash${suffix}.catalog`,
      CATALOG_TOPIC_PARTITIONS: "1",
      CATALOG_OUTBOX_POLL_INTERVAL_MS: "100",
      CATALOG_WAREHOUSE_GRPC_ADDRESS: `127.0.0.1:${wGrpc}`,
    });
    // The order service pays through the sandbox; once the sandbox is stopped, a checkout's payment step
    // fails twice (50 ms apart) or its outcome stays unknown for 1 s, and it needs attention.
    const sandbox = startProcess("node", ["src/main.ts"], join(root, "services/payment-sandbox"), {
      PAYMENT_SANDBOX_DATABASE_URL: databaseUrl,
      PAYMENT_SANDBOX_DB_SCHEMA: sandboxSchema.schema,
      PAYMENT_SANDBOX_HTTP_PORT: String(sandboxPort),
      PAYMENT_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${oWebhooks}/webhooks/sandbox`,
      PAYMENT_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PAYMENT_SANDBOX_WEBHOOK_POLL_INTERVAL_MS: "100",
      PAYMENT_SANDBOX_LOG_LEVEL: "warn",
    });
    const order = startProcess("node", ["src/main.ts"], join(root, "services/order"), {
      ...common,
      ORDER_GRPC_PORT: String(oGrpc),
      ORDER_METRICS_PORT: String(oMetrics),
      ORDER_WEBHOOK_PORT: String(oWebhooks),
      ORDER_DB_SCHEMA: orderSchema.schema,
      ORDER_WAREHOUSE_GRPC_ADDRESS: `127.0.0.1:${wGrpc}`,
      ORDER_CATALOG_GRPC_ADDRESS: `127.0.0.1:${cGrpc}`,
      ORDER_PAYMENT_SANDBOX_URL: `http://127.0.0.1:${sandboxPort}`,
      ORDER_PAYMENT_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ORDER_PAYMENT_TIMEOUT_MS: "3000",
      ORDER_SAGA_MAX_ATTEMPTS: "2",
      ORDER_SAGA_RETRY_BASE_MS: "50",
      ORDER_SAGA_UNKNOWN_OUTCOME_DEADLINE_MS: "1000",
      ORDER_SAGA_INTERVAL_MS: "100",
      ORDER_OUTBOX_TOPIC_PREFIX: topicPrefix,
      ORDER_TOPIC_PARTITIONS: "1",
    });
    processes.push(warehouse, catalog, sandbox, order);

    workdir = mkdtempSync(join(tmpdir(), "stockroom-prometheus-"));
    writeFileSync(
      join(workdir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: stockroom",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${wMetrics}", "127.0.0.1:${cMetrics}", "127.0.0.1:${oMetrics}"]`,
        "",
      ].join("\n"),
    );
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = startProcess(
      "prometheus",
      [
        `--config.file=${join(workdir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(workdir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      workdir,
      {},
    );
    processes.push(prometheus);

    const ready = (port: number) => async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    await waitFor(
      "warehouse, catalog, order service and payment sandbox ready",
      async () =>
        (await ready(wMetrics)()) &&
        (await ready(cMetrics)()) &&
        (await ready(oMetrics)()) &&
        (await fetch(`http://127.0.0.1:${sandboxPort}/healthz`)).ok,
      processes,
    );
    await waitFor("prometheus ready", async () => (await fetch(`${promUrl}/-/ready`)).ok, processes);

    // A little traffic: stock received, a reservation made and released, an oversell refused, an
    // unauthenticated call, a product created and read (a miss, then hits).
    const issuer = createTokenIssuer({ secret: SECRET, issuer: "stockroom", audience: "stockroom" });
    const admin = await issuer.issue({ subject: "dash-admin", roles: ["admin"] });
    const shop = await issuer.issue({ subject: "dash-shop", roles: ["storefront"] });
    const retry = { retry: { maxAttempts: 1 } };
    const warehouseAdmin = createClient(WarehouseAdminService, `127.0.0.1:${wGrpc}`, {
      ...retry,
      token: admin,
    });
    const storefront = createClient(WarehouseService, `127.0.0.1:${wGrpc}`, { ...retry, token: shop });
    const anonymous = createClient(WarehouseService, `127.0.0.1:${wGrpc}`, retry);
    const catalogAdmin = createClient(CatalogAdminService, `127.0.0.1:${cGrpc}`, { ...retry, token: admin });
    const catalogReads = createClient(CatalogService, `127.0.0.1:${cGrpc}`, { ...retry, token: shop });
    const orders = createClient(OrderService, `127.0.0.1:${oGrpc}`, { ...retry, token: shop });
    const orderReads = createClient(OrderService, `127.0.0.1:${oGrpc}`, { ...retry, token: admin });
    try {
      const sku = `DASH-${suffix}`.toUpperCase();
      await waitFor(
        "warehouse gRPC up",
        async () => {
          await warehouseAdmin.createWarehouse({
            idempotencyKey: `wh-${suffix}`,
            warehouse: { code: "WH-DASH", name: "Dashboards", capacityUnits: 1000n },
          });
          return true;
        },
        processes,
      );
      await warehouseAdmin.receiveStock({
        idempotencyKey: `po-${suffix}`,
        warehouseCode: "WH-DASH",
        reference: { type: "purchase_order", id: `PO-${suffix}` },
        lines: [{ sku, quantity: 10 }],
      });
      const reserved = await storefront.reserve({
        idempotencyKey: `cart-${suffix}-1`,
        reference: { type: "cart", id: `cart-${suffix}` },
        lines: [{ sku, quantity: 3 }],
        paymentMethod: PaymentMethod.CARD,
      });
      await storefront.releaseReservation({
        idempotencyKey: `release-${suffix}`,
        reservationId: reserved.reservation?.reservationId ?? "",
        reason: "dashboards test",
      });
      const oversell = await storefront
        .reserve({
          idempotencyKey: `cart-${suffix}-2`,
          reference: { type: "cart", id: `cart-${suffix}-2` },
          lines: [{ sku, quantity: 1000 }],
          paymentMethod: PaymentMethod.CARD,
        })
        .catch((err: unknown) => err);
      expect(isGrpcCallError(oversell) && oversell.code).toBe(status.FAILED_PRECONDITION);
      const anon = await anonymous.getStock({ sku }).catch((err: unknown) => err);
      expect(isGrpcCallError(anon) && anon.code).toBe(status.UNAUTHENTICATED);
      await catalogAdmin.createProduct({
        idempotencyKey: `product-${suffix}`,
        sku,
        name: "Dashboards test product",
        price: { amountMinor: 1999n, currency: "EUR" },
        status: ProductStatus.ACTIVE,
      });
      for (let i = 0; i < 5; i++) await catalogReads.getProduct({ sku });

      // Two card checkouts: one approved (confirmed), one started once the payment sandbox is down (it
      // needs attention).
      const readyCart = async (name: string, card: string) => {
        const { cart } = await orders.createCart({
          idempotencyKey: `cart-${name}-${suffix}`,
          customerId: "dash",
        });
        const cartId = cart?.cartId ?? "";
        await orders.addCartLine({ idempotencyKey: `line-${name}-${suffix}`, cartId, sku, quantity: 1 });
        await orders.setShippingDestination({
          idempotencyKey: `dest-${name}-${suffix}`,
          cartId,
          shippingDestination: {
            recipientName: "Dash",
            line1: "1 Main St",
            postalCode: "10115",
            city: "Berlin",
            countryCode: "DE",
          },
        });
        await orders.setPaymentMethod({
          idempotencyKey: `pay-${name}-${suffix}`,
          cartId,
          paymentMethod: { type: PaymentMethodType.CARD, token: card },
        });
        return cartId;
      };
      const checkout = async (cartId: string) =>
        (await orders.startCheckout({ idempotencyKey: `start-${cartId}`, cartId })).orderId;
      const settled = async (orderId: string, wanted: CheckoutStatus) =>
        waitFor(
          `checkout of ${orderId} reaches ${CheckoutStatus[wanted]}`,
          async () => (await orderReads.getOrder({ orderId })).order?.checkout?.status === wanted,
          processes,
        );
      const approve = "4242424242424242";
      const [first, second] = [await readyCart("first", approve), await readyCart("second", approve)];
      await settled(await checkout(first), CheckoutStatus.CONFIRMED);
      await stopProcess(sandbox);
      processes.splice(processes.indexOf(sandbox), 1);
      await settled(await checkout(second), CheckoutStatus.NEEDS_ATTENTION);
    } finally {
      for (const c of [warehouseAdmin, storefront, anonymous, catalogAdmin, catalogReads, orders, orderReads])
        c.close();
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => stopProcess(p)));
    await Promise.all(schemas.map((s) => s.drop()));
    const { kafka } = testKafka("dashboards-test");
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  }, 60_000);

  it("evaluates every panel query to series of metrics the services export", async () => {
    const query = async (expr: string) => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(resolveVariables(expr))}`);
      return (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    };
    let problems: string[] = [];
    // Until every query has data: the catalog consumes the warehouse's stock events and Prometheus needs
    // two scrapes for a rate.
    await waitFor(
      "every panel returns series",
      async () => {
        const names = (
          (await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as { data: string[] }
        ).data;
        problems = [];
        for (const { panel, expr } of queries) {
          const missing = metricNames(expr).filter((n) => !names.includes(n));
          if (missing.length > 0) problems.push(`${panel}: no such metric ${missing.join(", ")}`);
          const answer = await query(expr);
          if (answer.status !== "success") problems.push(`${panel}: ${answer.error}`);
          else if ((answer.data?.result.length ?? 0) === 0) problems.push(`${panel}: no series for ${expr}`);
        }
        return problems.length === 0;
      },
      processes,
      60_000,
    ).catch(() => undefined);
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThan(30);
  }, 120_000);

  it("fails a panel whose metric does not exist", async () => {
    const names = (
      (await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as { data: string[] }
    ).data;
    expect(names).toContain("grpc_server_handled_total");
    expect(
      metricNames("sum(rate(warehouse_reservations_totl[1m]))").filter((n) => !names.includes(n)),
    ).toEqual(["warehouse_reservations_totl"]);
  });
});
