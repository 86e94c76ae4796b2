// The rating consumer on real Kafka and PostgreSQL: RatingSummaryChanged events reach the index, also
// when they arrive before the product; duplicated and older summaries change nothing (the aggregate-
// version guard, and below it the stored rating's and the engine's guards); the rating sort follows the
// events; a summary that does not fit goes to the dead-letter topic; the rating feed's lag returns to 0.
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createIndexLag } from "../src/transport/kafka/index-lag.ts";
import { createProductEventsConsumer } from "../src/transport/kafka/product-events.consumer.ts";
import { createRatingEventsConsumer } from "../src/transport/kafka/rating-events.consumer.ts";
import { queryOf } from "./engine-contract.ts";
import { productEvent, publish, ratingEvent } from "./support/events.ts";
import { createSearchFixture, quietLogger, ratingOf, type SearchFixture } from "./support/search-fixture.ts";

const suffix = uniqueSuffix().slice(0, 10);
const PRODUCT_TOPIC = `rt${suffix}.catalog.product.v1`;
const RATING_TOPIC = `rt${suffix}.review.review.v1`;
const TOPICS = [PRODUCT_TOPIC, RATING_TOPIC].flatMap((t) => [t, dlqTopicOf(t)]);
const { kafka } = testKafka("search-rating-events");
const admin = kafka.admin();
const producer = kafka.producer();
let f: SearchFixture;

beforeAll(async () => {
  f = await createSearchFixture({ poolMax: 6 });
  await admin.connect();
  await producer.connect();
  await ensureTopics(
    admin,
    TOPICS.map((topic) => ({ topic, numPartitions: 2 })),
  );
});

afterAll(async () => {
  await producer.disconnect();
  await admin.deleteTopics({ topics: TOPICS }).catch(() => undefined);
  await admin.disconnect();
  await f?.cleanup();
});

const ratingSort = queryOf({ text: "rated", sort: "rating" });

describe("search rating consumer", () => {
  it("applies rating summaries once, newest version only, and the rating sort follows them", async () => {
    const registry = createMetricsRegistry({ service: "search-rating-test", collectDefaults: false });
    const groupId = `search-rt-r-${suffix}`;
    const lag = createIndexLag({
      kafka,
      feeds: [{ feed: "rating", topic: RATING_TOPIC, groupId }],
      logger: quietLogger,
      registry,
      intervalMs: 200,
    });
    const products = createProductEventsConsumer({
      kafka,
      db: f.db,
      useCases: f.useCases.catalogEvents,
      logger: quietLogger,
      topic: PRODUCT_TOPIC,
      groupId: `search-rt-p-${suffix}`,
    });
    const ratings = createRatingEventsConsumer({
      kafka,
      db: f.db,
      useCases: f.useCases.ratingEvents,
      logger: quietLogger,
      topic: RATING_TOPIC,
      groupId,
      progress: lag.progressOf("rating"),
    });
    await lag.start();
    await Promise.all([products.start(), ratings.start()]);
    try {
      const [a, b, c] = ["A", "B", "C"].map((s) => `RT-${suffix}-${s}`);
      if (!a || !b || !c) throw new Error("skus");
      // a's rating arrives before its product (kept in sku_ratings, put on the document by its upsert);
      // its v2 is delivered twice (same event id) and its older v1 after it.
      const aV2 = ratingEvent({ sku: a, version: 2, average: 4.5, count: 4 });
      await publish(producer, RATING_TOPIC, a, [
        aV2,
        aV2,
        ratingEvent({ sku: a, version: 1, average: 1, count: 1 }),
      ]);
      await vi.waitFor(
        async () => {
          const { rows } = await f.schema.pool.query(
            "SELECT summary_version FROM sku_ratings WHERE sku = $1",
            [a],
          );
          expect(rows).toEqual([{ summary_version: "2" }]);
        },
        { timeout: 30_000, interval: 100 },
      );
      await publish(producer, PRODUCT_TOPIC, a, [productEvent({ sku: a, version: 1, name: "Rated Lamp A" })]);
      await publish(producer, PRODUCT_TOPIC, b, [productEvent({ sku: b, version: 1, name: "Rated Lamp B" })]);
      await publish(producer, PRODUCT_TOPIC, c, [productEvent({ sku: c, version: 1, name: "Rated Lamp C" })]);
      await vi.waitFor(async () => expect((await f.engine.getDocuments([a, b, c])).length).toBe(3), {
        timeout: 30_000,
        interval: 100,
      });
      // b and c rated after their products exist; c's older summary overtakes its newer one.
      await publish(producer, RATING_TOPIC, b, [
        ratingEvent({ sku: b, version: 1, average: 3.25, count: 4 }),
      ]);
      await publish(producer, RATING_TOPIC, c, [
        ratingEvent({ sku: c, version: 3, average: 2.75, count: 4 }),
        ratingEvent({ sku: c, version: 2, average: 5, count: 9 }),
      ]);
      await vi.waitFor(
        async () => {
          const docs = await f.engine.getDocuments([a, b, c]);
          expect(docs.map((d) => [d.product.sku, d.rating])).toEqual([
            [a, { average: 4.5, count: 4, ratingVersion: 2 }],
            [b, { average: 3.25, count: 4, ratingVersion: 1 }],
            [c, { average: 2.75, count: 4, ratingVersion: 3 }],
          ]);
        },
        { timeout: 30_000, interval: 100 },
      );
      const first = await f.engine.search(ratingSort);
      expect(first.hits.map((h) => [h.sku, h.rating, h.ratingCount])).toEqual([
        [a, 4.5, 4],
        [b, 3.25, 4],
        [c, 2.75, 4],
      ]);

      // A newer summary moves c to the top.
      await publish(producer, RATING_TOPIC, c, [
        ratingEvent({ sku: c, version: 4, average: 4.75, count: 5 }),
      ]);
      await vi.waitFor(
        async () => expect((await f.engine.search(ratingSort)).hits.map((h) => h.sku)).toEqual([c, a, b]),
        { timeout: 30_000, interval: 100 },
      );
      await vi.waitFor(() => expect(lag.lagSeconds("rating")).toBe(0), { timeout: 30_000, interval: 100 });
      const metrics = await registry.getSingleMetricAsString("search_index_lag_seconds");
      expect(metrics).toMatch(/search_index_lag_seconds\{feed="rating"[^}]*\} 0/);

      // Below the consumer's guard, the use case refuses an older or equal summary on its own.
      expect(await f.applyRating(ratingOf(c, 1, 1, 4))).toBe("stale");
      expect(await f.applyRating(ratingOf(c, 1, 1, 3))).toBe("stale");
      expect((await f.engine.getDocuments([c]))[0]?.rating).toEqual({
        average: 4.75,
        count: 5,
        ratingVersion: 4,
      });

      // Distinct events logged once: a's v2 (twice delivered) and v1, b's v1, c's v3, v2 and v4.
      const { rows } = await f.schema.pool.query(
        "SELECT count(*)::int AS n FROM event_processing_log WHERE consumer = 'search.rating-index'",
      );
      expect(rows).toEqual([{ n: 6 }]);
    } finally {
      await Promise.all([products.stop(), ratings.stop(), lag.stop()]);
    }
  });

  it("sends a summary that does not fit to the dead-letter topic and changes nothing", async () => {
    const ratings = createRatingEventsConsumer({
      kafka,
      db: f.db,
      useCases: f.useCases.ratingEvents,
      logger: quietLogger,
      topic: RATING_TOPIC,
      groupId: `search-rt-bad-${suffix}`,
    });
    await ratings.start();
    try {
      const sku = `RT-${suffix}-BAD`;
      await publish(producer, RATING_TOPIC, sku, [ratingEvent({ sku, version: 1, average: 7, count: 2 })]);
      await vi.waitFor(
        async () => {
          const offsets = await admin.fetchTopicOffsets(dlqTopicOf(RATING_TOPIC));
          expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(1);
        },
        { timeout: 30_000, interval: 200 },
      );
      const { rows } = await f.schema.pool.query("SELECT sku FROM sku_ratings WHERE sku = $1", [sku]);
      expect(rows).toEqual([]);
    } finally {
      await ratings.stop();
    }
  });
});
