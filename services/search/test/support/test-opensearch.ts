// OpenSearch engines for tests: each on its own alias name (so test files and tests never share an
// index) against the node at TEST_OPENSEARCH_URL, and dropped afterwards.
import { Client } from "@opensearch-project/opensearch";
import { uniqueSuffix } from "@stockroom/testkit";
import {
  createOpenSearchEngine,
  type OpenSearchEngineOptions,
} from "../../src/data/opensearch/opensearch-engine.ts";

export function testOpenSearchUrl(): string {
  const url = process.env.TEST_OPENSEARCH_URL?.trim();
  if (url) return url;
  throw new Error(
    "TEST_OPENSEARCH_URL is not set: run `npm test` (starts OpenSearch) or `bash deploy/local/opensearch-up.sh` then `. deploy/local/env.sh`",
  );
}

export interface TestOpenSearchIndex {
  index: string;
  // Another engine on the same index (a second service instance).
  engine(options?: Partial<OpenSearchEngineOptions>): ReturnType<typeof createOpenSearchEngine>;
  client: Client;
  drop(): Promise<void>;
}

export function createTestOpenSearchIndex(): TestOpenSearchIndex {
  const url = testOpenSearchUrl();
  const index = `test-search-${uniqueSuffix()}`;
  const client = new Client({ node: url });
  const engines: ReturnType<typeof createOpenSearchEngine>[] = [];
  return {
    index,
    client,
    engine(options = {}) {
      const engine = createOpenSearchEngine({ url, index, ...options });
      engines.push(engine);
      return engine;
    },
    async drop() {
      await Promise.all(engines.map((engine) => engine.close()));
      await client.indices.delete({ index: `${index}-*`, expand_wildcards: "all" });
      await client.close();
    },
  };
}
