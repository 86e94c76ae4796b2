// Reserve's deadline and cancellation reach the work, over a gRPC server on a real port and a migrated
// schema, with other transactions holding the row locks a reserve needs:
// - a Reserve blocked on a lock past its deadline: the client gets DEADLINE_EXCEEDED, the server logs
//   DEADLINE_EXCEEDED at once, the backend's statement is cancelled (it leaves the lock queue), nothing is
//   held, and the key is free for a retry;
// - the same for a client that cancels: CANCELLED;
// - two callers in one batch, one cancels while the batch waits for its locks: it is answered at once,
//   the batch goes on for the other, and nothing is reserved for the one that left;
// - one cancels after the batch planned it (its write waits on a table lock): its reservation commits;
//   a retry with its key replays that same reservation, and the sweeper releases it at its TTL.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import {
  createClient,
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import {
  ReserveRequestSchema,
  WarehouseService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TTL_POLICY } from "../src/domain/reservation-ttl.ts";
import { createWarehouseHandler, WAREHOUSE_POLICY } from "../src/transport/grpc/warehouse.handler.ts";
import {
  CONTEXT,
  createWarehouseFixture,
  insertWarehouse,
  key,
  receive,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

const SECRET = "reserve-deadline-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };
const RESERVE = "/stockroom.warehouse.v1.WarehouseService/Reserve";

let fx: WarehouseFixture;
let server: GrpcServer;
let client: TypedClient<typeof WarehouseService>;
let token = "";
const logLines: Record<string, unknown>[] = [];
const holders: pg.Client[] = [];

beforeAll(async () => {
  fx = await createWarehouseFixture({ poolMax: 6 });
  await insertWarehouse(fx.db, "W1");
  server = createGrpcServer({
    logger: createLogger({
      service: "reserve-deadline",
      level: "info",
      destination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
    }),
    registry: createMetricsRegistry({ service: "reserve-deadline", collectDefaults: false }),
    verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
  });
  server.register(
    WarehouseService,
    createWarehouseHandler(fx.useCases, DEFAULT_TTL_POLICY),
    WAREHOUSE_POLICY,
  );
  const port = await server.start("127.0.0.1:0");
  client = createClient(WarehouseService, `127.0.0.1:${port}`, { retry: { maxAttempts: 1 } });
  token = await createTokenIssuer({ secret: SECRET, ...AUTH }).issue({
    subject: "deadline-test",
    roles: ["service"],
  });
  // Connected before the cases: a short deadline must not be spent setting up the channel.
  await client.getStock({ sku: "DL-WARM" }, { metadata: { authorization: `Bearer ${token}` } });
});

afterAll(async () => {
  for (const holder of holders) await holder.end().catch(() => undefined);
  client?.close();
  await server?.shutdown(1_000);
  await fx?.drop();
});

// Another transaction, holding locks until released.
async function holder() {
  const c = new pg.Client({ connectionString: fx.schema.connectionString });
  await c.connect();
  holders.push(c);
  await c.query("BEGIN");
  const { rows } = await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return {
    pid: rows[0]?.pid ?? 0,
    lockLevel: (sku: string) =>
      c.query(`SELECT 1 FROM "${fx.schema.schema}".stock_levels WHERE sku = $1 FOR UPDATE`, [sku]),
    // Reserve's write inserts outbox rows; SHARE conflicts with that, not with its reads.
    lockOutbox: () => c.query(`LOCK TABLE "${fx.schema.schema}".outbox IN SHARE MODE`),
    release: () => c.query("ROLLBACK"),
  };
}

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: fx.schema.connectionString });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

// Backends waiting for a lock this holder holds.
async function waitingOn(pid: number): Promise<number> {
  const rows = await query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
    [pid],
  );
  return Number(rows[0]?.n ?? 0);
}

async function reservedOf(sku: string): Promise<number> {
  const rows = await query<{ reserved: string }>(
    `SELECT reserved FROM "${fx.schema.schema}".stock_levels WHERE warehouse_code = 'W1' AND sku = $1`,
    [sku],
  );
  return Number(rows[0]?.reserved ?? 0);
}

async function reservationsFor(referenceId: string) {
  return query<{ reservation_id: string; status: string }>(
    `SELECT reservation_id, status FROM "${fx.schema.schema}".reservations WHERE reference_id = $1`,
    [referenceId],
  );
}

async function keyRecords(idempotencyKey: string): Promise<number> {
  const rows = await query<{ n: string }>(
    `SELECT count(*) AS n FROM "${fx.schema.schema}".idempotency_records
      WHERE operation = 'reserve' AND idempotency_key = $1`,
    [idempotencyKey],
  );
  return Number(rows[0]?.n ?? 0);
}

function reserveRequest(sku: string, quantity: number, overrides: Record<string, unknown> = {}) {
  return create(ReserveRequestSchema, {
    idempotencyKey: key("reserve"),
    reference: { type: "cart", id: key("cart") },
    lines: [{ sku, quantity, warehouseCode: "W1" }],
    ...overrides,
  } as MessageInitShape<typeof ReserveRequestSchema>);
}

function callOptions(requestId: string, extra: { deadlineMs?: number; signal?: AbortSignal } = {}) {
  return {
    deadlineMs: 30_000,
    ...extra,
    metadata: { authorization: `Bearer ${token}`, "x-request-id": requestId },
  };
}

function logOf(requestId: string) {
  return logLines.find((line) => line.rpc === RESERVE && line.requestId === requestId);
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) return "OK";
  if (!isGrpcCallError(err)) throw err;
  return status[err.code] ?? String(err.code);
}

// Generous for a loaded machine; the pool's lock_timeout, which ended these waits before, is 10 s.
const waitFor = { timeout: 5_000, interval: 20 };

describe("Reserve within the caller's deadline", () => {
  it("past its deadline while blocked on a row lock: DEADLINE_EXCEEDED, logged, statement cancelled, nothing held", async () => {
    await receive(fx.useCases, "W1", [{ sku: "DL-LOCK", quantity: 10 }]);
    const lock = await holder();
    await lock.lockLevel("DL-LOCK");
    const request = reserveRequest("DL-LOCK", 2);
    const code = codeOf(client.reserve(request, callOptions("dl-lock-1", { deadlineMs: 1_500 })));
    await expect.poll(() => waitingOn(lock.pid), waitFor).toBe(1);
    expect(await code).toBe("DEADLINE_EXCEEDED");
    // The server stopped too: its log says so and its statement left the lock queue, long before the
    // pool's 10 s lock_timeout would have ended it.
    await expect.poll(() => logOf("dl-lock-1")?.code, waitFor).toBe("DEADLINE_EXCEEDED");
    await expect.poll(() => waitingOn(lock.pid), waitFor).toBe(0);
    await lock.release();
    expect(await reservedOf("DL-LOCK")).toBe(0);
    expect(await reservationsFor(request.reference?.id ?? "")).toEqual([]);
    expect(await keyRecords(request.idempotencyKey)).toBe(0);
    // Its key was not left claimed: the retry reserves.
    await client.reserve(request, callOptions("dl-lock-2"));
    expect(await reservedOf("DL-LOCK")).toBe(2);
  });

  it("cancelled by its client while blocked: CANCELLED, logged, statement cancelled, nothing held", async () => {
    await receive(fx.useCases, "W1", [{ sku: "DL-CANCEL", quantity: 10 }]);
    const lock = await holder();
    await lock.lockLevel("DL-CANCEL");
    const caller = new AbortController();
    const request = reserveRequest("DL-CANCEL", 3);
    const code = codeOf(client.reserve(request, callOptions("dl-cancel-1", { signal: caller.signal })));
    await expect.poll(() => waitingOn(lock.pid), waitFor).toBe(1);
    caller.abort();
    expect(await code).toBe("CANCELLED");
    await expect.poll(() => logOf("dl-cancel-1")?.code, waitFor).toBe("CANCELLED");
    await expect.poll(() => waitingOn(lock.pid), waitFor).toBe(0);
    await lock.release();
    expect(await reservedOf("DL-CANCEL")).toBe(0);
    expect(await reservationsFor(request.reference?.id ?? "")).toEqual([]);
  });
});

// Two callers in one batch: a first reserve (Z, another sku) holds the batcher while A and B queue; when
// it ends, A and B go together and wait for the lock on their sku.
async function batchOfTwo(sku: string) {
  const zSku = `${sku}-Z`;
  await receive(fx.useCases, "W1", [
    { sku, quantity: 20 },
    { sku: zSku, quantity: 5 },
  ]);
  const zLock = await holder();
  await zLock.lockLevel(zSku);
  const lock = await holder();
  await lock.lockLevel(sku);
  const z = codeOf(client.reserve(reserveRequest(zSku, 1), callOptions(`${sku}-z`)));
  await expect.poll(() => waitingOn(zLock.pid), waitFor).toBe(1);
  const a = reserveRequest(sku, 4);
  const b = reserveRequest(sku, 5);
  const bCaller = new AbortController();
  const aCode = codeOf(client.reserve(a, callOptions(`${sku}-a`)));
  const bCode = codeOf(client.reserve(b, callOptions(`${sku}-b`, { signal: bCaller.signal })));
  // Both queued behind Z (the batcher starts no batch beside it for two requests).
  await new Promise((r) => setTimeout(r, 300));
  await zLock.release();
  expect(await z).toBe("OK");
  // One batch, A and B in it, waits for the lock on their level.
  await expect.poll(() => waitingOn(lock.pid), waitFor).toBe(1);
  return { a, b, aCode, bCode, bCaller, lock };
}

describe("a caller that leaves its reserve batch", () => {
  it("before the batch planned it: answered at once, the batch goes on for the other, nothing reserved for it", async () => {
    const { a, b, aCode, bCode, bCaller, lock } = await batchOfTwo("DL-BATCH");
    bCaller.abort();
    expect(await bCode).toBe("CANCELLED");
    // Logged while the batch still waits: the server did not hold B's answer until the batch ended.
    await expect.poll(() => logOf("DL-BATCH-b")?.code, waitFor).toBe("CANCELLED");
    expect(await waitingOn(lock.pid)).toBe(1);
    await lock.release();
    expect(await aCode).toBe("OK");
    expect(await reservedOf("DL-BATCH")).toBe(4);
    expect(await reservationsFor(a.reference?.id ?? "")).toHaveLength(1);
    expect(await reservationsFor(b.reference?.id ?? "")).toEqual([]);
    // Its claim was released in the batch's transaction: the key is free, and a retry reserves.
    expect(await keyRecords(b.idempotencyKey)).toBe(0);
    await client.reserve(b, callOptions("DL-BATCH-b-retry"));
    expect(await reservedOf("DL-BATCH")).toBe(9);
  });

  it("after the batch planned it: its reservation commits, a retry replays it, the sweeper releases it at its TTL", async () => {
    const { a, b, aCode, bCode, bCaller, lock } = await batchOfTwo("DL-LATE");
    const outbox = await holder();
    await outbox.lockOutbox();
    await lock.release();
    // Planned both; the batch's write now waits for the outbox.
    await expect.poll(() => waitingOn(outbox.pid), waitFor).toBe(1);
    bCaller.abort();
    expect(await bCode).toBe("CANCELLED");
    await expect.poll(() => logOf("DL-LATE-b")?.code, waitFor).toBe("CANCELLED");
    await outbox.release();
    expect(await aCode).toBe("OK");
    // B's reservation committed with the batch although B never heard the answer.
    const [held] = await reservationsFor(b.reference?.id ?? "");
    expect(held?.status).toBe("active");
    expect(await reservedOf("DL-LATE")).toBe(9);
    // The retry B's client makes replays it: the same reservation, no more stock held.
    const replay = await client.reserve(b, callOptions("DL-LATE-b-retry"));
    expect(replay.reservation?.reservationId).toBe(held?.reservation_id);
    expect(await reservedOf("DL-LATE")).toBe(9);
    expect(await reservationsFor(b.reference?.id ?? "")).toHaveLength(1);
    // A caller that never retries: the sweeper releases it at its TTL like any abandoned hold.
    const later = new Date(fx.clock.now.getTime() + 8 * 24 * 3_600_000);
    await fx.useCasesAt(() => later).expire(100, CONTEXT);
    expect((await reservationsFor(b.reference?.id ?? ""))[0]?.status).toBe("expired");
    expect((await reservationsFor(a.reference?.id ?? ""))[0]?.status).toBe("expired");
    expect(await reservedOf("DL-LATE")).toBe(0);
  });
});
