import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestSchema } from "../src/index.ts";

const migrations = fileURLToPath(new URL("./fixtures/migrations", import.meta.url));

async function schemaExists(connectionString: string, schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe("createTestSchema", () => {
  it("creates a migrated, isolated schema that drop() removes", async () => {
    const first = await createTestSchema({ migrations });
    const second = await createTestSchema({ migrations });
    try {
      expect(first.schema).toMatch(/^t_[0-9a-f]+$/);
      expect(first.schema).not.toBe(second.schema);
      await first.pool.query("INSERT INTO item (id, name) VALUES (1, 'bolt')");
      const mine = await first.pool.query("SELECT name FROM item");
      const theirs = await second.pool.query("SELECT name FROM item");
      expect(mine.rows).toEqual([{ name: "bolt" }]);
      expect(theirs.rows).toEqual([]);
    } finally {
      await second.drop();
      await first.drop();
    }
    expect(await schemaExists(first.connectionString, first.schema)).toBe(false);
    await first.drop(); // idempotent
  });

  it("creates an empty schema when no migrations are given", async () => {
    const test = await createTestSchema();
    try {
      const { rows } = await test.pool.query("SELECT current_schema() AS s");
      expect(rows[0].s).toBe(test.schema);
      expect(await schemaExists(test.connectionString, test.schema)).toBe(true);
    } finally {
      await test.drop();
    }
  });
});
