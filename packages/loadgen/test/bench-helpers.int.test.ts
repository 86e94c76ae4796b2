// The benchmarks' shared run plumbing: stopping a child process never hangs (also when it already exited),
// the readiness wait retries and gives up, the bench token verifies with the bench secret, run ids are
// fit for schema and topic names, and topic cleanup removes exactly the run's topics on the real broker.
import { spawn } from "node:child_process";
import { createTokenVerifier } from "@stockroom/auth";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { describe, expect, it } from "vitest";
import {
  BENCH_JWT_SECRET,
  benchRunId,
  deleteTopicsWithPrefix,
  issueBenchToken,
  stopChild,
  waitUntilReady,
} from "../src/index.ts";

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

describe("stopChild", () => {
  it("terminates a running process and resolves once it exited", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await new Promise((resolve) => child.once("spawn", resolve));
    await stopChild(child);
    expect(child.signalCode).toBe("SIGTERM");
  });

  it("resolves at once for a process that already exited", async () => {
    const child = spawn(process.execPath, ["-e", "process.exit(3)"], { stdio: "ignore" });
    await exited(child);
    expect(child.exitCode).toBe(3);
    const outcome = await Promise.race([
      stopChild(child).then(() => "stopped"),
      new Promise((resolve) => setTimeout(() => resolve("hung"), 2_000)),
    ]);
    expect(outcome).toBe("stopped");
  });
});

describe("waitUntilReady", () => {
  it("retries until the probe succeeds", async () => {
    let calls = 0;
    await waitUntilReady(
      async () => {
        if (++calls < 3) throw new Error("not yet");
      },
      { attempts: 5, intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it("gives up after the attempts with the probe's last error", async () => {
    let calls = 0;
    await expect(
      waitUntilReady(
        async () => {
          throw new Error(`refused ${++calls}`);
        },
        { attempts: 4, intervalMs: 1 },
      ),
    ).rejects.toThrow("refused 4");
    expect(calls).toBe(4);
  });
});

describe("issueBenchToken", () => {
  it("issues a token the services verify with the bench secret, carrying the roles", async () => {
    const verifier = createTokenVerifier({
      secret: BENCH_JWT_SECRET,
      issuer: "stockroom",
      audience: "stockroom",
    });
    const principal = await verifier.verify(await issueBenchToken(["service"]));
    expect(principal).toMatchObject({ subject: "bench", roles: ["service"] });
  });
});

describe("benchRunId", () => {
  it("is 12 lower-case hex characters, different each time", () => {
    const ids = new Set(Array.from({ length: 100 }, () => benchRunId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe("deleteTopicsWithPrefix", () => {
  it("deletes the topics with the prefix and leaves the others", async () => {
    const { kafka, brokers } = testKafka("bench-helpers-test");
    const prefix = `benchtest-${uniqueSuffix()}.`;
    const other = `benchtest-other-${uniqueSuffix()}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [`${prefix}a`, `${prefix}b`, other].map((topic) => ({ topic, numPartitions: 1 })),
        waitForLeaders: true,
      });
      const deleted = await deleteTopicsWithPrefix(brokers, prefix);
      expect(deleted.sort()).toEqual([`${prefix}a`, `${prefix}b`]);
      const left = await admin.listTopics();
      expect(left).toContain(other);
      expect(left.filter((topic) => topic.startsWith(prefix))).toEqual([]);
      await expect(deleteTopicsWithPrefix(brokers, "")).rejects.toThrow(/empty prefix/);
    } finally {
      await admin.deleteTopics({ topics: [other] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
