import { describe, expect, it } from "vitest";
import { createMetricsRegistry, registerPoolMetrics } from "../src/index.ts";

describe("pool gauges and build_info", () => {
  it("reads each registered pool's counts at scrape time, labelled by pool", async () => {
    const registry = createMetricsRegistry({ service: "pool-test", collectDefaults: false });
    const main = { totalCount: 4, idleCount: 1, waitingCount: 0 };
    registerPoolMetrics(registry, main);
    registerPoolMetrics(registry, { totalCount: 2, idleCount: 2, waitingCount: 0 }, "reserve");
    main.waitingCount = 3;
    const text = await registry.metrics();
    expect(text).toContain('db_pool_waiting_clients{pool="main",app="pool-test"} 3');
    expect(text).toContain('db_pool_total_clients{pool="reserve",app="pool-test"} 2');
    expect(text).toContain('db_pool_idle_clients{pool="main",app="pool-test"} 1');
  });

  it("exports build_info with the version and commit it is given, or the environment's", async () => {
    const registry = createMetricsRegistry({
      service: "build-test",
      collectDefaults: false,
      build: { version: "1.2.3", commit: "abc123" },
    });
    expect(await registry.metrics()).toMatch(
      /build_info\{version="1\.2\.3",commit="abc123",node_version="v\d+[^"]*",app="build-test"\} 1/,
    );
    const fromEnv = createMetricsRegistry({ service: "env-test", collectDefaults: false });
    expect(await fromEnv.metrics()).toMatch(/build_info\{version="(dev|[^"]+)",commit="[^"]+"/);
  });
});
