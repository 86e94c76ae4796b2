// A Redis connection whose keys all live under a unique prefix, cleaned up by SCAN (never KEYS or FLUSHDB:
// other test files share the server).
import { Redis } from "ioredis";
import { requireTestEnv } from "./test-infrastructure.ts";
import { uniqueSuffix } from "./unique-name.ts";

export interface TestRedis {
  /** Every key this client touches gets `prefix` prepended (ioredis keyPrefix). */
  readonly redis: Redis;
  readonly prefix: string;
  readonly url: string;
  /** Deletes every key under the prefix and closes the connection. */
  cleanup(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const url = requireTestEnv("TEST_REDIS_URL");
  const prefix = `t:${uniqueSuffix()}:`;
  const redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  let cleaned = false;
  return {
    redis,
    prefix,
    url,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      try {
        await deleteByPrefix(redis, prefix);
      } finally {
        await redis.quit();
      }
    },
  };
}

async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    // SCAN's MATCH is not a key, so ioredis does not prefix it; the keys it returns carry the prefix,
    // and UNLINK would prefix them again, hence the slice.
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys.map((key) => key.slice(prefix.length)));
  } while (cursor !== "0");
}
