import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  createDb,
  createPool,
  MigrationChecksumError,
  MigrationFailedError,
  migrate,
  type Pool,
} from "../src/index.ts";
import { dropSchema, FIXTURE_MIGRATIONS, testDatabaseUrl, uniqueSchemaName } from "./test-database.ts";

interface FixtureDb {
  stock_level: { warehouse_id: string; sku: string; on_hand: number };
  warehouse: { id: string };
}

const silent = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newSchema(): string {
  const schema = uniqueSchemaName();
  cleanups.push(() => dropSchema(schema));
  return schema;
}

function newPool(schema: string, max = 2): Pool {
  const pool = createPool({ connectionString: testDatabaseUrl(), schema, max, logger: silent });
  cleanups.push(() => pool.end());
  return pool;
}

async function copyFixtures(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stockroom-migrations-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(FIXTURE_MIGRATIONS, dir, { recursive: true });
  return dir;
}

describe("migrate", () => {
  it("applies the files in order into the given schema, then queries them through kysely", async () => {
    const schema = newSchema();
    const pool = newPool(schema);
    const result = await migrate({ pool, schema, directory: FIXTURE_MIGRATIONS, logger: silent });
    expect(result.applied).toEqual([
      "20250101000000_create_stock",
      "20250102000000_seed_warehouse",
      "20250103000000_add_counter",
    ]);

    const db = createDb<FixtureDb>(pool);
    await db.insertInto("stock_level").values({ warehouse_id: "main", sku: "SKU-1", on_hand: 5 }).execute();
    const rows = await db.selectFrom("stock_level").selectAll().execute();
    expect(rows).toEqual([{ warehouse_id: "main", sku: "SKU-1", on_hand: 5 }]);

    const recorded = await pool.query(
      `SELECT version, checksum, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(recorded.rows.map((r) => r.version)).toEqual(result.applied);
    for (const row of recorded.rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.applied_at).toBeInstanceOf(Date);
    }
    // The tables landed in the schema, not in public.
    const tables = await pool.query(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'stock_level' AND table_schema = $1",
      [schema],
    );
    expect(tables.rowCount).toBe(1);

    const again = await migrate({ pool, schema, directory: FIXTURE_MIGRATIONS, logger: silent });
    expect(again).toEqual({ applied: [], alreadyApplied: result.applied });
  });

  it("applies each file exactly once when five instances start at the same time", async () => {
    const schema = newSchema();
    const pools = Array.from({ length: 5 }, () => newPool(schema, 1));
    const results = await Promise.all(
      pools.map((pool) => migrate({ pool, schema, directory: FIXTURE_MIGRATIONS, logger: silent })),
    );
    expect(results.flatMap((r) => r.applied).sort()).toEqual([
      "20250101000000_create_stock",
      "20250102000000_seed_warehouse",
      "20250103000000_add_counter",
    ]);
    const seeded = await pools[0]?.query("SELECT count(*)::int AS n FROM warehouse");
    expect(seeded?.rows[0].n).toBe(1);
  });

  it("refuses to run when an applied file was changed", async () => {
    const schema = newSchema();
    const dir = await copyFixtures();
    await migrate({ connectionString: testDatabaseUrl(), schema, directory: dir, logger: silent });
    await writeFile(
      join(dir, "20250102000000_seed_warehouse.sql"),
      "INSERT INTO warehouse (id) VALUES ('other');\n",
    );
    await writeFile(join(dir, "20250104000000_later.sql"), "CREATE TABLE later (id int);\n");

    const error = await migrate({
      connectionString: testDatabaseUrl(),
      schema,
      directory: dir,
      logger: silent,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as MigrationChecksumError).versions).toEqual(["20250102000000_seed_warehouse"]);
    // Nothing after the refusal ran.
    const pool = newPool(schema);
    const later = await pool.query("SELECT to_regclass('later') AS t");
    expect(later.rows[0].t).toBeNull();
  });

  it("rolls a failing file back whole and records nothing for it", async () => {
    const schema = newSchema();
    const dir = await copyFixtures();
    await writeFile(
      join(dir, "20250104000000_broken.sql"),
      "CREATE TABLE half (id int);\nSELECT no_such_function();\n",
    );
    const error = await migrate({
      connectionString: testDatabaseUrl(),
      schema,
      directory: dir,
      logger: silent,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).version).toBe("20250104000000_broken");
    const pool = newPool(schema);
    const half = await pool.query("SELECT to_regclass('half') AS t");
    expect(half.rows[0].t).toBeNull();
    const versions = await pool.query("SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.rows.map((r) => r.version)).toHaveLength(3);
  });

  it("leaves the pool's timeouts as they were and warns about versions it does not know", async () => {
    const schema = newSchema();
    const dir = await copyFixtures();
    await writeFile(join(dir, "20250104000000_newer.sql"), "CREATE TABLE newer (id int);\n");
    const pool = newPool(schema, 1);
    await migrate({ pool, schema, directory: dir, logger: silent });
    const settings = await pool.query(
      "SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt",
    );
    expect(settings.rows[0]).toEqual({ st: "30s", lt: "10s" });

    // An older build (without the newest file) starting after a newer one migrated: allowed, with a warning.
    const warnings: object[] = [];
    const result = await migrate({
      pool,
      schema,
      directory: FIXTURE_MIGRATIONS,
      logger: { ...silent, warn: (obj) => warnings.push(obj) },
    });
    expect(result.applied).toEqual([]);
    expect(warnings).toEqual([{ schema, versions: ["20250104000000_newer"] }]);
  });

  it("rejects schema names that are not plain identifiers", async () => {
    await expect(
      migrate({ connectionString: testDatabaseUrl(), schema: 'x"; DROP', directory: FIXTURE_MIGRATIONS }),
    ).rejects.toThrow(/invalid schema name/);
    expect(() => createPool({ connectionString: testDatabaseUrl(), schema: "Public Space" })).toThrow(
      /invalid schema name/,
    );
  });

  it("runs from the command line with DATABASE_URL", async () => {
    const schema = newSchema();
    const cli = fileURLToPath(new URL("../src/migrate-cli.ts", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, "--schema", schema, "--dir", FIXTURE_MIGRATIONS],
      {
        env: { ...process.env, DATABASE_URL: testDatabaseUrl() },
      },
    );
    expect(stdout).toContain(`${schema}: applied 3 migration(s), 0 already applied`);

    const failed = await promisify(execFile)(process.execPath, [cli, "--schema", schema], {
      env: { ...process.env, DATABASE_URL: testDatabaseUrl() },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2 });
  });
});
