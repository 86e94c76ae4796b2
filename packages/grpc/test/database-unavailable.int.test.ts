// A database that cannot be reached answers UNAVAILABLE (clients retry it), not INTERNAL: whether the
// handler's query failed raw (a plain query) or mapped (withTransaction), and whether the server refused
// the connection or the pool timed out handing one out. Real pools: one aimed at a closed port, one at the
// test database with its only connection held.
import { Metadata, status } from "@grpc/grpc-js";
import { ConnectionError, createDb, createPool, type Pool, withTransaction } from "@stockroom/db";
import { ErrorReason } from "@stockroom/errors";
import type { EchoService } from "@stockroom/proto/stockroom/testing/v1/echo_pb.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DATABASE_UNAVAILABLE_MESSAGE,
  errorDetailFrom,
  GrpcCallError,
  type ServiceImpl,
  toGrpcStatus,
} from "../src/index.ts";
import { echoImpl, startEchoServer, type TestServer } from "./echo-server.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

let current: TestServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function publicEchoFailure(
  publicEcho: ServiceImpl<typeof EchoService>["publicEcho"],
): Promise<{ err: GrpcCallError; logLines: Record<string, unknown>[] }> {
  current = await startEchoServer(echoImpl({ publicEcho }));
  // One attempt: our client retries UNAVAILABLE, and this test wants to see the first answer.
  const client = current.client({ retry: { maxAttempts: 1 } });
  const err = await client.publicEcho({ message: "x" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GrpcCallError)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  return { err, logLines: current.logLines };
}

function expectDatabaseUnavailable(err: GrpcCallError): void {
  expect(err.code).toBe(status.UNAVAILABLE);
  expect(err.details).toContain(DATABASE_UNAVAILABLE_MESSAGE);
  expect(err.reason).toBe(ErrorReason.DEPENDENCY_UNAVAILABLE);
  // Where the database lives stays server-side.
  expect(err.details).not.toContain("127.0.0.1");
}

describe("a handler whose database is unreachable", () => {
  let nowhere: Pool;

  beforeAll(() => {
    nowhere = createPool({
      connectionString: "postgres://postgres@127.0.0.1:1/nowhere",
      connectionTimeoutMillis: 500,
      logger: silent,
    });
  });

  afterAll(async () => {
    await nowhere?.end();
  });

  it("answers UNAVAILABLE for a plain query's refused connection, and logs the cause", async () => {
    const { err, logLines } = await publicEchoFailure(async (req) => {
      await nowhere.query("SELECT 1");
      return { message: req.message };
    });
    expectDatabaseUnavailable(err);
    const logged = logLines.find((line) => line.msg === "rpc failed");
    expect(logged?.code).toBe("UNAVAILABLE");
    expect(JSON.stringify(logged?.err)).toContain("ECONNREFUSED");
  });

  it("answers UNAVAILABLE for the ConnectionError withTransaction throws", async () => {
    const db = createDb<Record<string, never>>(nowhere);
    const { err } = await publicEchoFailure(async (req) => {
      await withTransaction(db, async () => undefined);
      return { message: req.message };
    });
    expectDatabaseUnavailable(err);
  });
});

describe("a handler whose pool has no connection to give", () => {
  let pool: Pool;

  beforeAll(() => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error("TEST_DATABASE_URL is not set: `. deploy/local/env.sh` first");
    pool = createPool({ connectionString: url, max: 1, connectionTimeoutMillis: 200, logger: silent });
  });

  afterAll(async () => {
    await pool?.end();
  });

  it("answers UNAVAILABLE when the pool's acquire times out", async () => {
    const held = await pool.connect();
    try {
      const { err, logLines } = await publicEchoFailure(async (req) => {
        await pool.query("SELECT 1");
        return { message: req.message };
      });
      expectDatabaseUnavailable(err);
      const logged = logLines.find((line) => line.msg === "rpc failed");
      expect(JSON.stringify(logged?.err)).toContain("timeout exceeded when trying to connect");
    } finally {
      held.release();
    }
    // The pool recovers once a connection is free again.
    expect((await pool.query("SELECT 1 AS ok")).rows[0]?.ok).toBe(1);
  });
});

describe("toGrpcStatus for database failures", () => {
  it("maps ConnectionError and a raw connection failure to UNAVAILABLE, other database errors to INTERNAL", () => {
    const mapped = toGrpcStatus(
      new ConnectionError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.5:5432", undefined),
      "req-7",
    );
    expect(mapped.code).toBe(status.UNAVAILABLE);
    expect(mapped.details).toBe(`${DATABASE_UNAVAILABLE_MESSAGE} (request req-7)`);
    expect(errorDetailFrom(mapped.metadata)?.reason).toBe(ErrorReason.DEPENDENCY_UNAVAILABLE);
    expect(toGrpcStatus(new Error("timeout exceeded when trying to connect")).code).toBe(status.UNAVAILABLE);
    const uniqueViolation = Object.assign(new Error("duplicate key value"), { code: "23505" });
    expect(toGrpcStatus(uniqueViolation).code).toBe(status.INTERNAL);
    // A downstream service's own answer is not a database failure.
    const downstream = new GrpcCallError(status.INVALID_ARGUMENT, "bad", new Metadata());
    expect(toGrpcStatus(downstream).code).toBe(status.INTERNAL);
  });
});
