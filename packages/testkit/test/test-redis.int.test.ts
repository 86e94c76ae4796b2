import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createTestRedis } from "../src/index.ts";

describe("createTestRedis", () => {
  it("round-trips values under its own prefix and cleanup removes only its keys", async () => {
    const test = await createTestRedis();
    const other = await createTestRedis();
    const raw = new Redis(test.url);
    try {
      await test.redis.set("stock:SKU-1", "7");
      await test.redis.hset("item:1", { name: "bolt" });
      for (let i = 0; i < 1200; i++) await test.redis.set(`bulk:${i}`, "x");
      await other.redis.set("stock:SKU-1", "9");

      expect(await test.redis.get("stock:SKU-1")).toBe("7");
      expect(await other.redis.get("stock:SKU-1")).toBe("9");
      expect(await raw.get(`${test.prefix}stock:SKU-1`)).toBe("7");
      expect(await test.redis.hget("item:1", "name")).toBe("bolt");

      await test.cleanup();
      const [, left] = await raw.scan("0", "MATCH", `${test.prefix}*`, "COUNT", 10_000);
      expect(left).toEqual([]);
      expect(await raw.get(`${other.prefix}stock:SKU-1`)).toBe("9");
    } finally {
      await other.cleanup();
      await raw.quit();
    }
  });
});
