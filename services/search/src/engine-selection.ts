// Which engine serves the port, from ENGINE: the PostgreSQL engine on its own pool (so the consumers'
// transactions, which call the engine while they hold a connection, can never starve it), or OpenSearch.
import { createDb, createPool, type DbLogger } from "@stockroom/db";
import type { SearchEngine } from "./app/ports/search-engine.ts";
import type { SearchConfig } from "./config.ts";
import { createPostgresSearchEngine } from "./data/postgres/postgres-search-engine.ts";

export async function createEngine(config: SearchConfig, logger: DbLogger): Promise<SearchEngine> {
  switch (config.ENGINE) {
    case "postgres": {
      const pool = createPool({
        connectionString: config.DATABASE_URL,
        schema: config.DB_SCHEMA,
        max: config.DB_POOL_MAX,
        statementTimeoutMillis: config.DB_STATEMENT_TIMEOUT,
        applicationName: "search-engine",
        logger,
      });
      const engine = createPostgresSearchEngine({ db: createDb(pool) });
      return { ...engine, close: () => pool.end() };
    }
    case "opensearch":
      throw new Error("ENGINE=opensearch: the OpenSearch engine is not part of this build yet");
  }
}
