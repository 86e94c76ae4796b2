// Review read latency over gRPC at a fixed arrival rate, on this machine. Not a test: prints JSON.
//   list-reviews: ListReviews (newest first, 20 per page) of a sku
//   rating-summary: GetRatingSummary of one sku
// Skus are drawn from a Zipf distribution (exponent BENCH_ZIPF_S) over BENCH_SKUS skus, seeded with
// reviews (the most popular skus with the most) and their rating aggregates, in a throwaway schema. The
// service runs as its own process (node src/main.ts) with its own consumer group and topic prefix.
// Requests are sent open-loop at BENCH_RPS over node:http2 (latency counts from the scheduled send);
// the report gives p50/p99/max per case, errors, and the service's and PostgreSQL's CPU ms per call.
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  BENCH_JWT_SECRET,
  benchRunId,
  cpuPerOperation,
  deleteTopicsWithPrefix,
  grpcOverHttp2,
  issueBenchToken,
  spawnBenchService,
  stopChild,
  waitUntilReady,
} from "@stockroom/loadgen";
import {
  GetRatingSummaryRequestSchema,
  ListReviewsRequestSchema,
} from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import pg from "pg";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RPS = Number(process.env.BENCH_RPS ?? 1_000);
const SKUS = Number(process.env.BENCH_SKUS ?? 10_000);
const ZIPF_S = Number(process.env.BENCH_ZIPF_S ?? 1.0);
const PORT = Number(process.env.BENCH_PORT ?? 50165);
const CASES = (process.env.BENCH_CASES ?? "list-reviews,rating-summary").split(",");
const RUN_ID = benchRunId();
const SCHEMA = `bench_review_${RUN_ID}`;
const TOPIC_PREFIX = `review-bench-${RUN_ID}.`;
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const SERVICE_DIR = fileURLToPath(new URL("..", import.meta.url));

if (!DATABASE_URL) {
  process.stderr.write("set TEST_DATABASE_URL or BENCH_DATABASE_URL (run via `npm run bench:review`)\n");
  process.exit(2);
}

function zipfSampler(n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** s;
    cdf[i] = sum;
  }
  return () => {
    const target = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const skuOf = (i: number) => `BR-${String(i).padStart(5, "0")}`;

// Reviews per sku: 1 + 200 / rank (the head has hundreds, the tail one or two), then the aggregates
// recomputed from them, as the service keeps them.
async function seed(client: pg.Client): Promise<number> {
  await client.query(`SET search_path TO "${SCHEMA}"`);
  const { rowCount } = await client.query(
    `INSERT INTO reviews (review_id, sku, customer_id, order_id, line_number, rating, title, body, body_hash,
       status, verified, proof_source, delivered_at, helpful_votes, created_at, updated_at, published_at)
     SELECT gen_random_uuid(), 'BR-' || lpad(s::text, 5, '0'), 'c-' || s || '-' || r, 'o-' || s || '-' || r, 1,
            1 + (s * 7 + r * 3) % 5, 'Title ' || r, 'Body of review ' || r || ' of sku ' || s,
            md5(s || ':' || r) || md5(r || ':' || s), 'published', r % 3 <> 0,
            CASE WHEN r % 3 <> 0 THEN 'projection' END, now(), r % 17,
            now() - (r || ' minutes')::interval, now(), now() - (r || ' minutes')::interval
     FROM generate_series(0, $1 - 1) AS s, LATERAL generate_series(1, 1 + 200 / (s + 1)) AS r`,
    [SKUS],
  );
  await client.query(
    `INSERT INTO rating_aggregates (sku, all_count, all_sum, all_1, all_2, all_3, all_4, all_5, verified_count,
       verified_sum, verified_1, verified_2, verified_3, verified_4, verified_5, version)
     SELECT sku, count(*), sum(rating),
            count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
            count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5),
            count(*) FILTER (WHERE verified), coalesce(sum(rating) FILTER (WHERE verified), 0),
            count(*) FILTER (WHERE verified AND rating = 1), count(*) FILTER (WHERE verified AND rating = 2),
            count(*) FILTER (WHERE verified AND rating = 3), count(*) FILTER (WHERE verified AND rating = 4),
            count(*) FILTER (WHERE verified AND rating = 5), 1
     FROM reviews GROUP BY sku`,
  );
  await client.query("ANALYZE reviews; ANALYZE rating_aggregates");
  return rowCount ?? 0;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(2));
}

async function runCase(name: string, token: string, sample: () => number, servicePid: number) {
  const client = grpcOverHttp2(`127.0.0.1:${PORT}`, { token });
  const path =
    name === "list-reviews"
      ? "/stockroom.review.v1.ReviewService/ListReviews"
      : "/stockroom.review.v1.ReviewService/GetRatingSummary";
  const encode = (sku: string) =>
    name === "list-reviews"
      ? toBinary(ListReviewsRequestSchema, create(ListReviewsRequestSchema, { sku, pageSize: 20 }))
      : toBinary(GetRatingSummaryRequestSchema, create(GetRatingSummaryRequestSchema, { skus: [sku] }));
  const total = RPS * SECONDS;
  const latencies: number[] = [];
  let errors = 0;
  const errorKinds = new Map<string, number>();
  const cpu = cpuPerOperation({
    review: (_command, pid) => pid === servicePid,
    postgres: (command) => command.startsWith("postgres"),
  });
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / RPS;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      client.unary(path, encode(skuOf(sample()))).then(
        () => {
          latencies.push(performance.now() - scheduled);
        },
        (err: unknown) => {
          errors++;
          const kind = err instanceof Error ? err.message.slice(0, 80) : String(err);
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  client.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    case: name,
    calls: total,
    errors,
    errorKinds: Object.fromEntries(errorKinds),
    achievedRps: Number(((latencies.length * 1000) / elapsedMs).toFixed(1)),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: percentile(sorted, 1),
    cpuMsPerCall: cpu(total),
  };
}

async function main(): Promise<void> {
  const service = spawnBenchService(SERVICE_DIR, {
    DATABASE_URL,
    KAFKA_BROKERS: KAFKA_BROKERS.join(","),
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: "warn",
    REVIEW_DB_SCHEMA: SCHEMA,
    REVIEW_GRPC_PORT: String(PORT),
    REVIEW_HTTP_PORT: String(PORT + 1),
    REVIEW_METRICS_PORT: String(PORT + 2),
    REVIEW_OUTBOX_TOPIC_PREFIX: TOPIC_PREFIX,
    REVIEW_ORDER_EVENTS_TOPIC: `${TOPIC_PREFIX}order`,
    REVIEW_ORDER_EVENTS_GROUP: `review-bench-${RUN_ID}`,
    REVIEW_ORDER_GRPC_ADDRESS: "",
  });
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const token = await issueBenchToken(["storefront"]);
    // A fresh connection per attempt: one refused while the service starts is destroyed for good.
    await waitUntilReady(
      async () => {
        const probe = grpcOverHttp2(`127.0.0.1:${PORT}`, { token });
        try {
          await probe.unary(
            "/stockroom.review.v1.ReviewService/GetRatingSummary",
            toBinary(
              GetRatingSummaryRequestSchema,
              create(GetRatingSummaryRequestSchema, { skus: ["BR-00000"] }),
            ),
          );
        } finally {
          probe.close();
        }
      },
      { attempts: 120, intervalMs: 500 },
    );
    const reviews = await seed(client);
    const sample = zipfSampler(SKUS, ZIPF_S);
    const results = [];
    for (const name of CASES) results.push(await runCase(name, token, sample, service.pid ?? -1));
    const [load1, load5] = (await import("node:os")).loadavg();
    process.stdout.write(
      `${JSON.stringify({ rps: RPS, seconds: SECONDS, skus: SKUS, zipfS: ZIPF_S, reviews, loadAverage: [load1, load5], results }, null, 2)}\n`,
    );
  } finally {
    await stopChild(service);
    await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
    await client.end();
    await deleteTopicsWithPrefix(KAFKA_BROKERS, TOPIC_PREFIX).catch(() => undefined);
  }
}

await main();
