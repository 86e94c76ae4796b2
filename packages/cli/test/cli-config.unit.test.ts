// Where the CLI's token, addresses and brokers come from: flags, then the environment, then the
// config file, then deploy/local/env.sh's defaults; a bad config file is a usage error naming the field.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfigPath, resolveConfig } from "../src/cli-config.ts";
import { CliError, EXIT } from "../src/exit-codes.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stockroom-config-"));
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({ token: "file-token", warehouseAddress: "file:1", kafkaBrokers: ["k1:9092", "k2:9092"] }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("resolveConfig", () => {
  it("uses the local defaults when nothing is set, and no config file is required", () => {
    const config = resolveConfig({}, { HOME: dir, XDG_CONFIG_HOME: join(dir, "none") });
    expect(config).toMatchObject({
      token: undefined,
      warehouseAddress: "127.0.0.1:50051",
      kafkaBrokers: ["127.0.0.1:9092"],
      json: false,
      timeoutMs: 30_000,
      streamTimeoutMs: 600_000,
    });
    expect(resolveConfig({}, { XDG_CONFIG_HOME: "/x", WAREHOUSE_GRPC_PORT: "50151" }).warehouseAddress).toBe(
      "127.0.0.1:50151",
    );
  });

  it("reads ~/.config/stockroom/config.json (XDG_CONFIG_HOME) and lets env and flags override it", () => {
    const env = { XDG_CONFIG_HOME: dir };
    expect(defaultConfigPath(env)).toBe(join(dir, "stockroom", "config.json"));
    const fromFile = resolveConfig({ config: join(dir, "config.json") }, {});
    expect(fromFile).toMatchObject({
      token: "file-token",
      warehouseAddress: "file:1",
      kafkaBrokers: ["k1:9092", "k2:9092"],
    });
    const overridden = resolveConfig(
      { config: join(dir, "config.json"), warehouseAddress: "flag:3", json: true },
      { STOCKROOM_TOKEN: "env-token", STOCKROOM_WAREHOUSE_ADDRESS: "env:2", KAFKA_BROKERS: "e1:1, e2:2" },
    );
    expect(resolveConfig({ timeout: 1500 }, { XDG_CONFIG_HOME: "/x" })).toMatchObject({
      timeoutMs: 1500,
      streamTimeoutMs: 1500,
    });
    expect(overridden).toMatchObject({
      token: "env-token",
      tokenSource: "STOCKROOM_TOKEN",
      warehouseAddress: "flag:3",
      kafkaBrokers: ["e1:1", "e2:2"],
      json: true,
    });
  });

  it("takes the fulfillment address from the flag, STOCKROOM_FULFILLMENT_ADDRESS, the file, then the port", async () => {
    const file = join(dir, "fulfillment.json");
    await writeFile(file, JSON.stringify({ fulfillmentAddress: "file:4" }));
    const env = { XDG_CONFIG_HOME: "/x" };
    expect(resolveConfig({}, env).fulfillmentAddress).toBe("127.0.0.1:50054");
    expect(resolveConfig({}, { ...env, FULFILLMENT_GRPC_PORT: "50154" }).fulfillmentAddress).toBe(
      "127.0.0.1:50154",
    );
    expect(resolveConfig({ config: file }, env).fulfillmentAddress).toBe("file:4");
    expect(
      resolveConfig({ config: file }, { ...env, STOCKROOM_FULFILLMENT_ADDRESS: "env:5" }).fulfillmentAddress,
    ).toBe("env:5");
    expect(
      resolveConfig(
        { config: file, fulfillmentAddress: "flag:6" },
        { ...env, STOCKROOM_FULFILLMENT_ADDRESS: "env:5" },
      ).fulfillmentAddress,
    ).toBe("flag:6");
  });

  it("refuses a named config file that is missing, not JSON or has unknown fields", async () => {
    const refused = (path: string) => {
      try {
        resolveConfig({ config: path }, {});
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        expect((err as CliError).exitCode).toBe(EXIT.usage);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused(join(dir, "absent.json"))).toContain("cannot read config file");
    await writeFile(join(dir, "broken.json"), "{ token: ");
    expect(refused(join(dir, "broken.json"))).toContain("is not JSON");
    await writeFile(join(dir, "typo.json"), JSON.stringify({ tokn: "x", warehouseAddress: 5 }));
    expect(refused(join(dir, "typo.json"))).toMatch(/warehouseAddress: .*; \(file\): Unrecognized key.*tokn/);
  });
});
