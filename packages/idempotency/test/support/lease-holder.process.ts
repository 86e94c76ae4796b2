// A process that claims a leased key and never finishes its effect, for tests to SIGKILL mid-run.
// argv: connection string, schema, principal, key, lease seconds. Prints "running" once it holds the key.
import { createDb, createPool } from "@stockroom/db";
import { fingerprintOf, type IdempotencyDatabase, runLeasedIdempotent } from "../../src/index.ts";

const [connectionString, schema, principal, key, leaseSeconds] = process.argv.slice(2);
if (!connectionString || !schema || !principal || !key || !leaseSeconds) {
  throw new Error("usage: lease-holder.process.ts <connection string> <schema> <principal> <key> <lease s>");
}
const quiet = { info() {}, warn() {}, error() {} };
const db = createDb<IdempotencyDatabase>(createPool({ connectionString, schema, max: 1, logger: quiet }));
await runLeasedIdempotent(
  db,
  { principal, operation: "rebuild", key, fingerprint: fingerprintOf({ skus: [] }) },
  () => {
    process.stdout.write("running\n");
    return new Promise<never>(() => setInterval(() => {}, 60_000));
  },
  { leaseSeconds: Number(leaseSeconds) },
);
