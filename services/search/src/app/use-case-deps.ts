// What every search use case is built with (wired by hand in main.ts): the service's own database (event
// log, stock levels, rebuild runs), the engine behind the port, and the clock.
import { type TransactionalDeps, transactionalDeps } from "@stockroom/db";
import type { Kysely } from "kysely";
import type { SearchDatabase } from "../data/database.ts";
import type { SearchEngine } from "./ports/search-engine.ts";

export interface UseCaseDeps extends TransactionalDeps<SearchDatabase> {
  engine: SearchEngine;
}

export function createUseCaseDeps(
  db: Kysely<SearchDatabase>,
  engine: SearchEngine,
  options: { clock?: () => Date } = {},
): UseCaseDeps {
  return { ...transactionalDeps(db, options.clock), engine };
}
