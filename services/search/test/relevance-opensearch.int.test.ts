// Precision@5 of the OpenSearch engine on the generated 10,000-product catalog (relevance-suite.ts), the
// same labelled queries as the PostgreSQL engine, kept as a regression test with a floor.
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import { describeRelevance } from "./relevance-suite.ts";
import { createTestOpenSearchIndex } from "./support/test-opensearch.ts";

describeRelevance(
  "opensearch",
  async () => {
    const os = createTestOpenSearchIndex();
    const engine: SearchEngine = os.engine();
    return { engine, cleanup: () => os.drop() };
  },
  // Measured 1.000 overall and per kind (PostgreSQL 0.947 on the same catalog): a floor close below.
  { floor: 0.9, kindFloor: 0.8 },
);
