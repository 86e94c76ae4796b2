// The order service under test with its real neighbours: the warehouse's and the catalog's own use cases
// over migrated throwaway schemas behind in-process gRPC servers (reached over the network, with service
// tokens, through the order service's breakers), the payment sandbox as its own process posting its
// webhooks to the order service's webhook listener, and the order service's use cases (buildUseCases)
// behind an in-process OrderService.
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { createDb } from "@stockroom/db";
import { createClient, createGrpcServer, type GrpcServer, type TypedClient } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { type SandboxProcess, startSandboxProcess } from "@stockroom/payment-sandbox/sandbox-process";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { OrderAdminService } from "@stockroom/proto/stockroom/order/v1/order_admin_service_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import {
  type ContractEndpoint,
  type ContractTransport,
  createTestSchema,
  startContractEndpoint,
  type TestSchema,
} from "@stockroom/testkit";
import { CATALOG_POLICY, createCatalogHandler } from "../../../catalog/src/transport/grpc/catalog.handler.ts";
import { type CatalogFixture, createCatalogFixture } from "../../../catalog/test/support/catalog-fixture.ts";
import { DEFAULT_TTL_POLICY } from "../../../warehouse/src/domain/reservation-ttl.ts";
import {
  createWarehouseHandler,
  WAREHOUSE_POLICY,
} from "../../../warehouse/src/transport/grpc/warehouse.handler.ts";
import {
  createWarehouseAdminHandler,
  WAREHOUSE_ADMIN_POLICY,
} from "../../../warehouse/src/transport/grpc/warehouse-admin.handler.ts";
import {
  createWarehouseFixture,
  insertWarehouse,
  receive,
  type WarehouseFixture,
} from "../../../warehouse/test/support/warehouse-fixture.ts";
import { buildUseCases } from "../../src/app/build-use-cases.ts";
import { createUseCaseDeps, type OrderSettings } from "../../src/app/use-case-deps.ts";
import type { OrderDatabase } from "../../src/data/database.ts";
import { DEFAULT_RETRY_POLICY } from "../../src/domain/checkout-saga.ts";
import { DEFAULT_CAPTURE_TIMING, DEFAULT_PAYMENT_HOLD } from "../../src/domain/payment-hold.ts";
import { createCatalogClient } from "../../src/transport/grpc/catalog.client.ts";
import { createOrderHandler, ORDER_POLICY } from "../../src/transport/grpc/order.handler.ts";
import { createOrderAdminHandler, ORDER_ADMIN_POLICY } from "../../src/transport/grpc/order-admin.handler.ts";
import { createWarehouseClient } from "../../src/transport/grpc/warehouse.client.ts";
import { startPaymentWebhookServer } from "../../src/transport/http/payment-webhook.server.ts";
import { createManualPaymentProvider } from "../../src/transport/payments/manual-payment.provider.ts";
import { createSandboxPaymentProvider } from "../../src/transport/payments/sandbox-payment.provider.ts";

export const ORDER_MIGRATIONS = fileURLToPath(new URL("../../../../migrations/order", import.meta.url));
const SANDBOX_MIGRATIONS = fileURLToPath(new URL("../../../../migrations/payment-sandbox", import.meta.url));
export const JWT = {
  secret: "order-test-secret-0123456789abcdef-xyz",
  issuer: "stockroom",
  audience: "stockroom",
};
export const WEBHOOK_SECRET = "whsec_order_fixture_0123456789";

export const CARDS = {
  approve: "4242424242424242",
  decline: "4000000000000002",
  timeoutThenApprove: "4000000000000101",
  timeoutUnknown: "4000000000000119",
  lateWebhook: "4000000000000200",
  duplicateWebhook: "4000000000000218",
};

export const DESTINATION = {
  recipientName: "Ada Lovelace",
  line1: "1 Main St",
  line2: "",
  postalCode: "10115",
  city: "Berlin",
  region: "",
  countryCode: "DE",
  phone: "",
};

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const CATALOG_CONTEXT = { producer: "catalog", actor: "test", principal: "test" };
const quiet = (service: string) => createLogger({ service, level: "silent" });

export const TEST_ORDER_SETTINGS: OrderSettings = {
  defaultCurrency: "EUR",
  stockHoldMode: "at_checkout",
  paymentHold: DEFAULT_PAYMENT_HOLD,
  captureTiming: DEFAULT_CAPTURE_TIMING,
  retryPolicy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 500 },
  stepLeaseMs: 10_000,
};

export interface OrderFixtureOptions {
  settings?: Partial<OrderSettings>;
  // The sandbox's timeout cards hang this long; the order's provider client gives up sooner.
  sandboxHangMs?: number;
  paymentTimeoutMs?: number;
  lateWebhookDelayMs?: number;
  // Serve the order service on both its gRPC and Connect ports and call it over this transport
  // (contract tests); default: the gRPC port only, with the grpc-js client.
  transport?: ContractTransport;
}

export async function createOrderFixture(options: OrderFixtureOptions = {}) {
  const [warehouse, catalog, orderSchema, sandboxSchema]: [
    WarehouseFixture,
    CatalogFixture,
    TestSchema,
    TestSchema,
  ] = await Promise.all([
    createWarehouseFixture({ poolMax: 6 }),
    createCatalogFixture(),
    createTestSchema({ migrations: ORDER_MIGRATIONS, poolMax: 12 }),
    createTestSchema({ migrations: SANDBOX_MIGRATIONS }),
  ]);
  // The warehouse and catalog, as one in-process server on one port.
  // The warehouse and the catalog, each on its own in-process server (so either can go away alone).
  const startServer = async (
    kind: "warehouse" | "catalog",
    port = 0,
  ): Promise<{ server: GrpcServer; port: number }> => {
    const server = createGrpcServer({
      logger: quiet(`order-test-${kind}`),
      registry: createMetricsRegistry({ service: `order-test-${kind}`, collectDefaults: false }),
      verifier: createTokenVerifier(JWT),
    });
    if (kind === "warehouse") {
      server.register(
        WarehouseService,
        createWarehouseHandler(warehouse.useCases, DEFAULT_TTL_POLICY),
        WAREHOUSE_POLICY,
      );
      server.register(
        WarehouseAdminService,
        createWarehouseAdminHandler(warehouse.useCases.admin),
        WAREHOUSE_ADMIN_POLICY,
      );
    } else {
      server.register(CatalogService, createCatalogHandler(catalog.useCases.catalog), CATALOG_POLICY);
    }
    return { server, port: await server.start(`127.0.0.1:${port}`) };
  };
  const servers = { warehouse: await startServer("warehouse"), catalog: await startServer("catalog") };

  // Opens after 3 failed calls and probes again after 500 ms, so the outage test runs quickly.
  const breaker = { volumeThreshold: 3, resetTimeoutMs: 500 };
  const warehouseClient = createWarehouseClient({
    address: `127.0.0.1:${servers.warehouse.port}`,
    jwt: JWT,
    deadlineMs: 5_000,
    breaker,
  });
  const catalogClient = createCatalogClient({
    address: `127.0.0.1:${servers.catalog.port}`,
    jwt: JWT,
    deadlineMs: 5_000,
    breaker,
  });

  const db = createDb<OrderDatabase>(orderSchema.pool);
  const settings: OrderSettings = { ...TEST_ORDER_SETTINGS, ...options.settings };
  // The webhook listener first (the sandbox posts to it); its providers are filled in once the
  // sandbox's port is known.
  const providers: ReturnType<typeof createSandboxPaymentProvider>[] = [];
  let record: Parameters<typeof startPaymentWebhookServer>[0]["record"] = async () =>
    "ignored_unknown_payment";
  const webhooks = await startPaymentWebhookServer({
    port: 0,
    host: "127.0.0.1",
    providers,
    record: (provider, event) => record(provider, event),
    logger: quiet("order-test-webhooks"),
  });
  const sandbox: SandboxProcess = await startSandboxProcess({
    databaseUrl: sandboxSchema.connectionString,
    schema: sandboxSchema.schema,
    webhookSecret: WEBHOOK_SECRET,
    webhookUrl: webhooks.url("sandbox"),
    hangMs: options.sandboxHangMs ?? 3_000,
    webhookPollIntervalMs: 50,
    ...(options.lateWebhookDelayMs !== undefined ? { lateWebhookDelayMs: options.lateWebhookDelayMs } : {}),
  });
  providers.push(
    createSandboxPaymentProvider({
      baseUrl: sandbox.baseUrl,
      webhookSecret: WEBHOOK_SECRET,
      timeoutMs: options.paymentTimeoutMs ?? 10_000,
    }),
    createManualPaymentProvider(),
  );
  const deps = createUseCaseDeps(db, {
    catalog: catalogClient,
    warehouse: warehouseClient,
    paymentProviders: providers,
  });
  const useCases = buildUseCases(deps, settings, { logger: quiet("order-test") });
  record = useCases.payments.recordWebhook;

  const server: GrpcServer = createGrpcServer({
    logger: quiet("order-test"),
    registry: createMetricsRegistry({ service: "order-test", collectDefaults: false }),
    verifier: createTokenVerifier(JWT),
  });
  server.register(OrderService, createOrderHandler(useCases.order), ORDER_POLICY);
  server.register(OrderAdminService, createOrderAdminHandler(useCases.admin), ORDER_ADMIN_POLICY);
  let endpoint: ContractEndpoint | undefined;
  let client: TypedClient<typeof OrderService>;
  let admin: TypedClient<typeof OrderAdminService>;
  if (options.transport) {
    endpoint = await startContractEndpoint(server, options.transport);
    client = endpoint.client(OrderService);
    admin = endpoint.client(OrderAdminService);
  } else {
    const orderPort = await server.start("127.0.0.1:0");
    const clientOptions = { retry: { maxAttempts: 1 }, defaultDeadlineMs: 15_000 };
    client = createClient(OrderService, `127.0.0.1:${orderPort}`, clientOptions);
    admin = createClient(OrderAdminService, `127.0.0.1:${orderPort}`, clientOptions);
  }
  const issuer = createTokenIssuer(JWT);
  const tokens = new Map<string, string>();
  for (const role of ["storefront", "ops", "admin", "service"] as const) {
    tokens.set(role, await issuer.issue({ subject: `test-${role}`, roles: [role] }));
  }
  const as = (role: "storefront" | "ops" | "admin" | "service") => ({
    metadata: { authorization: `Bearer ${tokens.get(role)}` },
  });

  return {
    warehouse,
    catalog,
    orderSchema,
    db,
    sandbox,
    webhooks,
    useCases,
    deps,
    settings,
    warehouseClient,
    catalogClient,
    sandboxSchema,
    addresses: () => ({
      warehouse: `127.0.0.1:${servers.warehouse.port}`,
      catalog: `127.0.0.1:${servers.catalog.port}`,
    }),
    client,
    admin,
    as,
    // A neighbour goes away (its server stops) and comes back on the same address.
    async stop(kind: "warehouse" | "catalog") {
      await servers[kind].server.shutdown(100);
      // Stopped means refusing connections, not just draining: wait until the port refuses.
      const port = servers[kind].port;
      for (let i = 0; i < 100 && (await accepts(port)); i++) await new Promise((r) => setTimeout(r, 20));
    },
    async restart(kind: "warehouse" | "catalog") {
      servers[kind] = await startServer(kind, servers[kind].port);
    },
    // Stock of a sku in a warehouse (created if needed) and its product, for sale.
    async stock(
      sku: string,
      quantity: number,
      warehouseCode = "W1",
      priceMinor = 1_000n,
      productStatus: "active" | "archived" = "active",
    ) {
      await insertWarehouse(warehouse.db, warehouseCode).catch(() => undefined);
      if (quantity > 0) await receive(warehouse.useCases, warehouseCode, [{ sku, quantity }]);
      await catalog.createProduct(
        {
          idempotencyKey: `create-${sku}`,
          sku,
          name: `Product ${sku}`,
          description: "",
          brand: "acme",
          categoryPath: "test",
          attributes: {},
          price: { amountMinor: priceMinor, currency: "EUR" },
          status: "active",
        },
        CATALOG_CONTEXT,
      );
      if (productStatus === "archived") {
        await catalog.useCases.admin.archiveProduct(
          { idempotencyKey: `archive-${sku}`, sku },
          CATALOG_CONTEXT,
        );
      }
    },
    // Drives due checkouts until none is due now (the saga worker's loop, run by hand).
    async settle(rounds = 50): Promise<void> {
      for (let i = 0; i < rounds; i++) {
        const driven = await useCases.saga.driveDueCheckouts(64);
        if (driven === 0) return;
      }
    },
    async cleanup() {
      client.close();
      admin.close();
      await (endpoint ? endpoint.close() : server.shutdown(1_000));
      warehouseClient.close();
      catalogClient.close();
      await Promise.all([servers.warehouse.server.shutdown(1_000), servers.catalog.server.shutdown(1_000)]);
      const step = async (name: string, run: () => Promise<unknown>) => {
        const t = Date.now();
        await run();
        if (process.env.ORDER_TEST_DEBUG) console.error(`cleanup ${name}: ${Date.now() - t} ms`);
      };
      await step("sandbox", () => sandbox.stop());
      await step("webhooks", () => webhooks.close());
      await step("schemas", () =>
        Promise.all([warehouse.drop(), catalog.cleanup(), orderSchema.drop(), sandboxSchema.drop()]),
      );
    },
  };
}

export type OrderFixture = Awaited<ReturnType<typeof createOrderFixture>>;

// A cart of `lines` with a destination and a payment method, through the gRPC API.
export async function readyCart(
  f: OrderFixture,
  lines: { sku: string; quantity: number; warehouseCode?: string }[],
  payment: { type: number; token: string },
  customerId = `cust-${Math.random().toString(36).slice(2, 10)}`,
): Promise<string> {
  const storefront = f.as("storefront");
  const key = () => `k-${Math.random().toString(36).slice(2)}`;
  const { cart } = await f.client.createCart({ idempotencyKey: key(), customerId }, storefront);
  const cartId = cart?.cartId ?? "";
  for (const line of lines) {
    await f.client.addCartLine({ idempotencyKey: key(), cartId, ...line }, storefront);
  }
  await f.client.setShippingDestination(
    { idempotencyKey: key(), cartId, shippingDestination: DESTINATION },
    storefront,
  );
  await f.client.setPaymentMethod({ idempotencyKey: key(), cartId, paymentMethod: payment }, storefront);
  return cartId;
}

// Drives the saga until the order's checkout is finished (or waits on a manual payment).
export async function settleOrder(f: OrderFixture, orderId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await f.useCases.saga.driveDueCheckouts(64);
    const order = await f.useCases.order.getOrder(orderId);
    const status = order.saga?.status;
    if (
      status === "confirmed" ||
      status === "failed" ||
      status === "abandoned" ||
      status === "needs_attention"
    ) {
      return order;
    }
    if (status === "awaiting_payment" && order.payment?.provider === "manual") return order;
    if (Date.now() > deadline)
      throw new Error(`checkout of ${orderId} did not settle: ${JSON.stringify(order.saga)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
