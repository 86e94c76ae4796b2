// The engine contract (engine-contract.ts) against the OpenSearch engine, each test on its own alias
// and indexes in the node at TEST_OPENSEARCH_URL (npm test starts it: deploy/local/opensearch-up.sh).
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import { describeEngineContract } from "./engine-contract.ts";
import { createTestOpenSearchIndex } from "./support/test-opensearch.ts";

describeEngineContract("opensearch", async () => {
  const os = createTestOpenSearchIndex();
  const engine: SearchEngine = os.engine();
  return { engine, cleanup: () => os.drop() };
});
