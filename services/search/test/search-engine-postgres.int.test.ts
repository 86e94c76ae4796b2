// The engine contract (engine-contract.ts) against the PostgreSQL engine, each test on a fresh schema
// migrated with migrations/search.
import { fileURLToPath } from "node:url";
import { createDb } from "@stockroom/db";
import { createTestSchema } from "@stockroom/testkit";
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import { createPostgresSearchEngine } from "../src/data/postgres/postgres-search-engine.ts";
import { describeEngineContract } from "./engine-contract.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/search", import.meta.url));

describeEngineContract("postgres", async () => {
  const schema = await createTestSchema({ migrations: MIGRATIONS });
  const engine: SearchEngine = createPostgresSearchEngine({ db: createDb(schema.pool), retireGraceMs: 0 });
  return { engine, cleanup: () => schema.drop() };
});
