// The CLI's commands as child processes against a real warehouse process: what they print for people
// and for scripts (--json), where the token and address come from, and the exit code of each outcome.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@stockroom/grpc";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.ts";
import {
  freePort,
  JWT_SECRET,
  startWarehouseProcess,
  type WarehouseProcess,
} from "./support/warehouse-process.ts";

const TIMEOUT_MS = 120_000;
let warehouse: WarehouseProcess;
let dir: string;
let admin: NodeJS.ProcessEnv;

beforeAll(async () => {
  warehouse = await startWarehouseProcess();
  dir = await mkdtemp(join(tmpdir(), "stockroom-cli-"));
  admin = { STOCKROOM_TOKEN: await warehouse.token("admin"), STOCKROOM_WAREHOUSE_ADDRESS: warehouse.address };
});

afterAll(async () => {
  await warehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("stockroom commands", () => {
  it(
    "token prints a development token the warehouse accepts; a config file can carry it",
    async () => {
      const issued = await runCli(["token", "--role", "admin", "--subject", "ops-alice"], { JWT_SECRET });
      expect(issued.code, issued.stderr).toBe(0);
      const token = issued.stdout.trim();
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const config = join(dir, "config.json");
      await writeFile(config, JSON.stringify({ token, warehouseAddress: warehouse.address }));

      const created = await runCli(
        ["--config", config, "warehouses", "create", "CMD-1", "--name", "Commands", "--capacity", "5000"],
        {},
      );
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain("created warehouse CMD-1");
      expect(created.stdout).toMatch(/│ CMD-1 +│ Commands +│ yes +│ 0 +│ 5000 +│ 0 +│ refuse/);

      const [again, listed, noSecret] = await Promise.all([
        runCli(
          ["--config", config, "warehouses", "create", "CMD-1", "--name", "Again", "--capacity", "1"],
          {},
        ),
        runCli(["--json", "warehouses", "list"], admin),
        runCli(["token", "--role", "ops"], {}),
      ]);
      expect(again.code, again.stderr).toBe(6);
      expect(again.stderr).toMatch(/^stockroom: ALREADY_EXISTS: /);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).warehouses).toEqual([
        expect.objectContaining({ code: "CMD-1", name: "Commands", capacityUnits: "5000", active: true }),
      ]);
      expect(noSecret.code).toBe(2);
      expect(noSecret.stderr).toContain("JWT_SECRET is not set");
      // The ledger names the token's subject as the actor.
      const adjusted = await runCli(
        ["--config", config, "stock", "adjust", "-w", "CMD-1", "-s", "TOKEN-SKU", "-d", "1", "-r", "found"],
        {},
      );
      expect(adjusted.code, adjusted.stderr).toBe(0);
      const { rows } = await warehouse.schema.pool.query(
        "SELECT actor FROM stock_movements WHERE sku = 'TOKEN-SKU'",
      );
      expect(rows).toEqual([{ actor: "ops-alice" }]);
    },
    TIMEOUT_MS,
  );

  it(
    "bins, stock and reservations: tables for people, JSON for scripts",
    async () => {
      const setUp = await Promise.all([
        runCli(["warehouses", "create", "CMD-2", "--name", "Second", "--capacity", "9000"], admin),
        runCli(
          ["bins", "create", "A-01", "-w", "CMD-1", "--zone", "A", "--aisle", "1", "--pick-sequence", "3"],
          admin,
        ),
      ]);
      for (const r of setUp) expect(r.code, r.stderr).toBe(0);
      const [bins, adjusted] = await Promise.all([
        runCli(["--json", "bins", "list", "-w", "CMD-1"], admin),
        runCli(
          ["stock", "adjust", "-w", "CMD-2", "-s", "CMD-SKU", "-d", "12", "-r", "found", "--note", "count"],
          admin,
        ),
      ]);
      expect(JSON.parse(bins.stdout).bins).toEqual([
        { warehouseCode: "CMD-1", code: "A-01", zone: "A", aisle: "1", pickSequence: 3 },
      ]);
      expect(adjusted.code, adjusted.stderr).toBe(0);
      expect(adjusted.stdout).toContain("adjusted CMD-SKU in CMD-2 by 12 (found)");

      const shop = createClient(WarehouseService, warehouse.address, {
        token: await warehouse.token("storefront"),
      });
      const reserved = await shop.reserve({
        idempotencyKey: "cmd-r-1",
        reference: { type: "cart", id: "cart-cmd-1" },
        lines: [{ sku: "CMD-SKU", quantity: 4 }],
      });
      shop.close();
      const reservationId = reserved.reservation?.reservationId ?? "";

      const [stock, stockJson, found, foundByReference, deleted] = await Promise.all([
        runCli(["stock", "get", "CMD-SKU", "NO-SUCH-SKU"], admin),
        runCli(["--json", "stock", "get", "CMD-SKU"], admin),
        runCli(["reservations", "find", "--id", reservationId], admin),
        runCli(["reservations", "find", "--reference", "cart:cart-cmd-1"], admin),
        runCli(["bins", "delete", "A-01", "-w", "CMD-1"], admin),
      ]);
      expect(stock.code, stock.stderr).toBe(0);
      expect(stock.stdout).toMatch(/│ CMD-2 +│ CMD-SKU +│ 12 +│ 4 +│ 0 +│ 0 +│ 0 +│ 0 +│ 0 +│ 8 +│/);
      expect(stock.stdout).toMatch(/│ NO-SUCH-SKU +│ 0 +│ 0 +│/);
      expect(JSON.parse(stockJson.stdout).stocks[0]).toMatchObject({
        sku: "CMD-SKU",
        totalOnHand: "12",
        totalAvailable: "8",
        levels: [expect.objectContaining({ warehouseCode: "CMD-2", onHand: "12", reserved: "4" })],
      });
      expect(found.code, found.stderr).toBe(0);
      expect(found.stdout).toMatch(
        new RegExp(`│ ${reservationId} +│ cart:cart-cmd-1 +│ active +│ .+ +│ 1 +│ CMD-SKU +│ 4 +│ held`),
      );
      expect(foundByReference.code, foundByReference.stderr).toBe(0);
      expect(foundByReference.stdout).toMatch(
        new RegExp(`│ ${reservationId} +│ cart:cart-cmd-1 +│ active +│ .+ +│ 1 +│ CMD-SKU +│ 4 +│ held`),
      );
      expect(deleted.code, deleted.stderr).toBe(0);
      const afterDelete = await runCli(["bins", "list", "-w", "CMD-1"], admin);
      expect(afterDelete.stdout.trim()).toBe("no bins");
    },
    TIMEOUT_MS,
  );

  it(
    "exit codes say what happened, and bad arguments are explained",
    async () => {
      const storefront = { ...admin, STOCKROOM_TOKEN: await warehouse.token("storefront") };
      const closed = `127.0.0.1:${await freePort()}`;
      const [
        badDelta,
        badDate,
        badSku,
        noToken,
        denied,
        unavailable,
        notFound,
        byReference,
        reconciled,
        forged,
      ] = await Promise.all([
        runCli(["stock", "adjust", "-w", "CMD-1", "-s", "X-1", "-d", "0", "-r", "found"], admin),
        runCli(["movements", "export", "--from", "yesterday", "-o", join(dir, "m.csv")], admin),
        runCli(["stock", "get", "not a sku!"], admin),
        runCli(["stock", "get", "X-1"], { STOCKROOM_WAREHOUSE_ADDRESS: warehouse.address }),
        runCli(["warehouses", "create", "CMD-9", "--name", "No", "--capacity", "1"], storefront),
        runCli(["--timeout", "2000", "stock", "get", "X-1"], {
          ...admin,
          STOCKROOM_WAREHOUSE_ADDRESS: closed,
        }),
        runCli(["reservations", "find", "--id", "7f1d3c1e-0000-4000-8000-000000000000"], admin),
        runCli(["reservations", "find", "--reference", "cart:no-such-cart"], admin),
        runCli(["--json", "reconcile"], admin),
        runCli(["stock", "get", "X-1"], { ...admin, STOCKROOM_TOKEN: "not.a.token" }),
      ]);
      expect(badDelta.code).toBe(2);
      expect(badDelta.stderr).toContain("option '-d, --delta <n>' argument '0' is invalid. must not be 0.");
      expect(badDate.code).toBe(2);
      expect(badDate.stderr).toContain('"yesterday" is not an ISO 8601 date or time');
      expect(badSku.code).toBe(2);
      expect(badSku.stderr).toMatch(/^stockroom: INVALID_ARGUMENT: .*skus\[0\]/);
      expect(noToken.code).toBe(4);
      expect(noToken.stderr).toContain("no token: set STOCKROOM_TOKEN");
      expect(forged.code).toBe(4);
      expect(forged.stderr).toMatch(/^stockroom: UNAUTHENTICATED: .* \(token from STOCKROOM_TOKEN\)$/m);
      expect(denied.code).toBe(4);
      expect(denied.stderr).toMatch(/^stockroom: PERMISSION_DENIED: /);
      expect(unavailable.code).toBe(3);
      expect(unavailable.stderr).toMatch(/^stockroom: (UNAVAILABLE|DEADLINE_EXCEEDED): /);
      expect(notFound.code).toBe(5);
      expect(notFound.stderr).toMatch(/^stockroom: NOT_FOUND: reservation 7f1d3c1e/);
      expect(byReference.code, byReference.stderr).toBe(0);
      expect(byReference.stdout.trim()).toBe("no reservations found");
      expect(reconciled.code, reconciled.stderr).toBe(0);
      expect(JSON.parse(reconciled.stdout)).toMatchObject({ drifts: [] });
      expect(Number(JSON.parse(reconciled.stdout).levelsChecked)).toBeGreaterThanOrEqual(2);

      const [usage, unknownCommand] = await Promise.all([
        runCli(["stock"], {}),
        runCli(["stocks", "get"], {}),
      ]);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("Usage: stockroom stock [options] [command]");
      expect(unknownCommand.code).toBe(2);
      expect(unknownCommand.stderr).toContain("error: unknown command 'stocks'");
    },
    TIMEOUT_MS,
  );
});
