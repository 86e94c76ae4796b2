// The migrations that scoped the warehouse's and catalog's existing idempotency records to a principal:
// records already there keep working under a principal no caller has, and the key includes the principal.
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "@stockroom/db";
import { createTestSchema } from "@stockroom/testkit";
import { describe, expect, it } from "vitest";
import { UNSCOPED_PRINCIPAL } from "../src/index.ts";

const SCOPING = "20261201223000_idempotency_principal.sql";
const quiet = { info() {}, warn() {}, error() {} };

describe.each(["warehouse", "catalog"])("the %s schema", (service) => {
  it("gives existing records the unscoped principal and keys records by (operation, key, principal)", async () => {
    const directory = fileURLToPath(new URL(`../../../migrations/${service}`, import.meta.url));
    const before = await mkdtemp(join(tmpdir(), `idem-${service}-`));
    // Up to the scoping migration, whatever later migrations the folder holds.
    const through = await mkdtemp(join(tmpdir(), `idem-${service}-through-`));
    const schema = await createTestSchema();
    try {
      for (const file of await readdir(directory)) {
        if (file < SCOPING) await cp(join(directory, file), join(before, file));
        if (file <= SCOPING) await cp(join(directory, file), join(through, file));
      }
      await migrate({ pool: schema.pool, schema: schema.schema, directory: before, logger: quiet });
      await schema.pool.query(
        `INSERT INTO idempotency_records (operation, idempotency_key, fingerprint, expires_at, response)
         VALUES ('op', 'old-key', 'f', now() + interval '25 hours', '{"answer":1}')`,
      );
      const applied = await migrate({
        pool: schema.pool,
        schema: schema.schema,
        directory: through,
        logger: quiet,
      });
      expect(applied.applied).toEqual([SCOPING.slice(0, -".sql".length)]);

      const { rows } = await schema.pool.query(
        "SELECT principal, response FROM idempotency_records WHERE idempotency_key = 'old-key'",
      );
      expect(rows).toEqual([{ principal: UNSCOPED_PRINCIPAL, response: { answer: 1 } }]);

      // The same key from two principals is two records; the same one twice is refused; none is unnamed.
      await schema.pool.query(
        `INSERT INTO idempotency_records (principal, operation, idempotency_key, fingerprint, expires_at)
         VALUES ('a', 'op', 'k', 'f', now() + interval '25 hours'), ('b', 'op', 'k', 'f', now() + interval '25 hours')`,
      );
      await expect(
        schema.pool.query(
          `INSERT INTO idempotency_records (principal, operation, idempotency_key, fingerprint, expires_at)
           VALUES ('a', 'op', 'k', 'g', now() + interval '25 hours')`,
        ),
      ).rejects.toMatchObject({ code: "23505" });
      await expect(
        schema.pool.query(
          `INSERT INTO idempotency_records (operation, idempotency_key, fingerprint, expires_at)
           VALUES ('op', 'k2', 'f', now() + interval '25 hours')`,
        ),
      ).rejects.toMatchObject({ code: "23502" });
      await expect(
        schema.pool.query(
          `INSERT INTO idempotency_records (principal, operation, idempotency_key, fingerprint, expires_at)
           VALUES ('', 'op', 'k3', 'f', now() + interval '25 hours')`,
        ),
      ).rejects.toMatchObject({ code: "23514" });

      const key = await schema.pool.query<{ columns: string[] }>(
        `SELECT array_agg(a.attname::text ORDER BY k.ordinality) AS columns
         FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = 'idempotency_records'::regclass AND i.indisprimary`,
      );
      expect(key.rows[0]?.columns).toEqual(["operation", "idempotency_key", "principal"]);
    } finally {
      await schema.drop();
      await rm(before, { recursive: true, force: true });
      await rm(through, { recursive: true, force: true });
    }
  });
});
