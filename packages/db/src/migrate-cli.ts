// Applies one service's migrations: node packages/db/src/migrate-cli.ts --schema warehouse --dir migrations/warehouse
// Reads DATABASE_URL. Exits non-zero with the reason on failure.
import { parseArgs } from "node:util";
import { migrate } from "./migrate.ts";

const USAGE =
  "usage: node packages/db/src/migrate-cli.ts --schema <schema> --dir <migrations folder>  (reads DATABASE_URL)";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { schema: { type: "string" }, dir: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const connectionString = process.env.DATABASE_URL;
  if (!values.schema || !values.dir || !connectionString) {
    process.stderr.write(`${!connectionString ? "DATABASE_URL is not set\n" : ""}${USAGE}\n`);
    return 2;
  }
  const result = await migrate({ connectionString, schema: values.schema, directory: values.dir });
  process.stdout.write(
    `${values.schema}: applied ${result.applied.length} migration(s), ${result.alreadyApplied.length} already applied\n`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
