// Both search engines side by side in one run, at the engine port (no gRPC, no consumers): the same
// generated catalog (test/support/generated-catalog.ts) in each, then searches sent open-loop at
// BENCH_RPS with queries drawn from a Zipf distribution (exponent BENCH_ZIPF_S) over a fixed query list,
// alone and then with BENCH_STOCK_RPS stock updates per second racing them. Not a test: prints JSON.
// Latency counts from the scheduled send, so queueing is charged to the engine. "Server CPU per query"
// is the CPU of the engine's processes (PostgreSQL's backends, or the OpenSearch JVM) read from /proc
// over the search-only phase, divided by its queries. Index lag is the time from a stock update's
// scheduled send until the engine has written it visibly (both engines make a write visible to the next
// query when the call returns: a commit, or OpenSearch's refresh=true).
//   BENCH_PRODUCTS (20000), BENCH_SECONDS per phase (10), BENCH_RPS (200), BENCH_STOCK_RPS (500),
//   BENCH_ENGINES (postgres,opensearch), TEST_DATABASE_URL, TEST_OPENSEARCH_URL (deploy/local/env.sh).
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createDb } from "@stockroom/db";
import { cpuMsByGroup } from "@stockroom/loadgen";
import { createTestSchema, uniqueSuffix } from "@stockroom/testkit";
import type { SearchEngine } from "../src/app/ports/search-engine.ts";
import { createOpenSearchEngine } from "../src/data/opensearch/opensearch-engine.ts";
import { createPostgresSearchEngine } from "../src/data/postgres/postgres-search-engine.ts";
import type { SearchQuery } from "../src/domain/search-document.ts";
import { ADJECTIVES, BRANDS, generateCatalog, PRODUCT_TYPES } from "../test/support/generated-catalog.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PRODUCTS = env("BENCH_PRODUCTS", 20_000);
const SECONDS = env("BENCH_SECONDS", 10);
const RPS = env("BENCH_RPS", 200);
const STOCK_RPS = env("BENCH_STOCK_RPS", 500);
const ZIPF_S = env("BENCH_ZIPF_S", 1.1);
const ENGINES = (process.env.BENCH_ENGINES ?? "postgres,opensearch").split(",");
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/search", import.meta.url));

interface EngineUnderBench {
  engine: SearchEngine;
  cpuGroup: (command: string) => boolean;
  drop(): Promise<void>;
}

async function open(name: string): Promise<EngineUnderBench> {
  if (name === "postgres") {
    const schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 16 });
    return {
      engine: createPostgresSearchEngine({ db: createDb(schema.pool), retireGraceMs: 0 }),
      cpuGroup: (command) => command.startsWith("postgres:"),
      drop: () => schema.drop(),
    };
  }
  const url = process.env.TEST_OPENSEARCH_URL ?? "http://127.0.0.1:9200";
  const index = `bench-search-${uniqueSuffix()}`;
  const engine = createOpenSearchEngine({ url, index });
  return {
    engine,
    cpuGroup: (command) => command.includes("org.opensearch.bootstrap.OpenSearch"),
    async drop() {
      await engine.close();
      await fetch(`${url}/${index}-*`, { method: "DELETE" });
    },
  };
}

function queryTexts(): string[] {
  const texts: string[] = [];
  PRODUCT_TYPES.forEach((type, i) => {
    texts.push(
      type.words,
      `${BRANDS[i % BRANDS.length]} ${type.words}`,
      `${ADJECTIVES[i % ADJECTIVES.length]} ${type.words}`,
    );
    texts.push(type.words.slice(0, Math.max(3, type.words.length - 3)));
  });
  texts.push("runnnig shoez", "wireles headphones", "hikng boots");
  return texts;
}

// Zipf: rank r is drawn with weight 1 / r^s.
function zipfSampler(n: number, s: number): () => number {
  const weights = Array.from({ length: n }, (_, r) => 1 / (r + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((acc, w, i) => (cumulative[i] = acc + w / total), 0);
  return () => {
    const u = Math.random();
    const i = cumulative.findIndex((c) => c >= u);
    return i < 0 ? n - 1 : i;
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
function summary(latencies: number[], errors: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    errors,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? 0,
  };
}

// Calls `send` at `rps` for SECONDS, open-loop, and resolves with each call's latency from its slot.
async function openLoop(rps: number, send: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const total = Math.floor(rps * SECONDS);
  const calls: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const slot = start + (i * 1000) / rps;
    const wait = slot - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    calls.push(
      send(i).then(
        () => void latencies.push(performance.now() - slot),
        () => void errors++,
      ),
    );
  }
  await Promise.all(calls);
  return summary(latencies, errors);
}

async function benchEngine(name: string, catalog: ReturnType<typeof generateCatalog>) {
  const under = await open(name);
  const { engine } = under;
  try {
    await engine.ensureReady();
    const loadStart = performance.now();
    for (let i = 0; i < catalog.length; i += 500)
      await engine.upsertDocuments(catalog.slice(i, i + 500).map((p) => p.document));
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const texts = queryTexts();
    const pick = zipfSampler(texts.length, ZIPF_S);
    const query = (): SearchQuery => ({
      text: texts[pick()] ?? "",
      filters: { brands: [], inStockOnly: Math.random() < 0.5, attributes: [] },
      sort: "relevance",
      pageSize: 20,
      facets: ["category", "brand", "price", "in_stock"],
      priceBucketBounds: [2_500, 5_000, 10_000, 25_000],
    });
    // Warm-up: every query once.
    for (const text of texts) await engine.search({ ...query(), text });

    const cpuBefore = cpuMsByGroup({ engine: under.cpuGroup }).engine ?? 0;
    const searchOnly = await openLoop(RPS, () => engine.search(query()));
    const cpuMs = (cpuMsByGroup({ engine: under.cpuGroup }).engine ?? 0) - cpuBefore;

    const skus = catalog.map((p) => p.document.product.sku);
    let version = 1_000;
    const [searchUnderWrites, stockLag] = await Promise.all([
      openLoop(RPS, () => engine.search(query())),
      openLoop(STOCK_RPS, () => {
        version++;
        const sku = skus[Math.floor(Math.random() * skus.length)] as string;
        return engine.updateStock([{ sku, available: version % 2, stockVersion: version }]);
      }),
    ]);
    return {
      engine: name,
      products: catalog.length,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      search: {
        rps: RPS,
        ...searchOnly,
        serverCpuMsPerQuery: Number((cpuMs / Math.max(1, searchOnly.count)).toFixed(2)),
      },
      searchUnderStockWrites: { rps: RPS, ...searchUnderWrites },
      indexLag: { stockRps: STOCK_RPS, ...stockLag },
    };
  } finally {
    await under.drop();
  }
}

const catalog = generateCatalog(PRODUCTS);
const results = [];
for (const name of ENGINES) results.push(await benchEngine(name, catalog));
process.stdout.write(
  `${JSON.stringify({ seconds: SECONDS, zipfS: ZIPF_S, loadAverage: loadavg(), results }, null, 2)}\n`,
);
