// Warehouses: create, update (full replacement of every field but the code), get and list. The
// rules here mirror the table's CHECK constraints so callers get a field path instead of a 500. Create and
// update run once per idempotency key; a retry replays the first answer.
import { alreadyExists, ErrorReason, invalidArgument, notFound } from "@stockroom/errors";
import { fingerprintOf, type IdempotencyCodec, runIdempotent } from "@stockroom/idempotency";
import {
  findWarehouse,
  insertWarehouse,
  listWarehouses,
  updateWarehouse,
} from "../../data/warehouse-admin.repo.ts";
import type { WarehouseFields, WarehouseRecord } from "../../domain/warehouse.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";

export type WarehouseCommand = WarehouseFields & { idempotencyKey: string };

// A replayed record comes back from JSON: its dates are strings again.
const warehouseRecordJson: IdempotencyCodec<WarehouseRecord> = {
  toJson: (record) => record,
  fromJson: (json) => {
    const record = json as WarehouseRecord;
    return { ...record, createdAt: new Date(record.createdAt), updatedAt: new Date(record.updatedAt) };
  },
};

const WAREHOUSE_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

export function assertWarehouseCode(code: string, field: string): void {
  if (!WAREHOUSE_CODE.test(code)) {
    throw invalidArgument(
      field,
      "must be 1-32 characters of A-Z, 0-9, '_' or '-', starting with a letter or digit",
    );
  }
}

export function validateWarehouseFields(fields: WarehouseFields, prefix = "warehouse"): void {
  assertWarehouseCode(fields.code, `${prefix}.code`);
  if (fields.name.trim().length === 0 || fields.name.length > 200) {
    throw invalidArgument(`${prefix}.name`, "must be 1-200 characters");
  }
  if (fields.address.length > 500)
    throw invalidArgument(`${prefix}.address`, "must be at most 500 characters");
  if (fields.location) {
    const { latitude, longitude } = fields.location;
    if (!(latitude >= -90 && latitude <= 90))
      throw invalidArgument(`${prefix}.location.latitude`, "must be within -90..90");
    if (!(longitude >= -180 && longitude <= 180)) {
      throw invalidArgument(`${prefix}.location.longitude`, "must be within -180..180");
    }
  }
  if (!Number.isSafeInteger(fields.capacityUnits) || fields.capacityUnits <= 0) {
    throw invalidArgument(`${prefix}.capacity_units`, "must be a positive integer");
  }
  // numeric(4,3): three decimals are stored.
  if (!(fields.fillAlertRatio > 0 && fields.fillAlertRatio <= 1)) {
    throw invalidArgument(`${prefix}.fill_alert_ratio`, "must be within (0, 1]");
  }
  if (!Number.isInteger(fields.priority) || fields.priority < 0) {
    throw invalidArgument(`${prefix}.priority`, "must be a non-negative integer");
  }
}

export function warehouseNotFound(code: string) {
  return notFound(ErrorReason.WAREHOUSE_NOT_FOUND, `warehouse ${code} does not exist`, {
    warehouse_code: code,
  });
}

export function createWarehouseUseCase(deps: UseCaseDeps) {
  return async function createWarehouse(
    command: WarehouseCommand,
    context: RequestContext,
  ): Promise<WarehouseRecord> {
    const { idempotencyKey, ...fields } = command;
    validateWarehouseFields(fields);
    return deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "create_warehouse",
            key: idempotencyKey,
            fingerprint: fingerprintOf(fields),
          },
          async () => {
            const created = await insertWarehouse(trx, fields);
            if (!created) {
              throw alreadyExists(ErrorReason.ALREADY_EXISTS, `warehouse ${fields.code} already exists`, {
                warehouse_code: fields.code,
              });
            }
            return created;
          },
          { codec: warehouseRecordJson },
        ),
      context,
    );
  };
}

export function updateWarehouseUseCase(deps: UseCaseDeps) {
  return async function updateWarehouseFields(
    command: WarehouseCommand,
    context: RequestContext,
  ): Promise<WarehouseRecord> {
    const { idempotencyKey, ...fields } = command;
    validateWarehouseFields(fields);
    return deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "update_warehouse",
            key: idempotencyKey,
            fingerprint: fingerprintOf(fields),
          },
          async () => {
            const updated = await updateWarehouse(trx, fields);
            if (!updated) throw warehouseNotFound(fields.code);
            return updated;
          },
          { codec: warehouseRecordJson },
        ),
      context,
    );
  };
}

export function getWarehouseUseCase(deps: UseCaseDeps) {
  return async function getWarehouse(code: string): Promise<WarehouseRecord> {
    const found = await findWarehouse(deps.db, code);
    if (!found) throw warehouseNotFound(code);
    return found;
  };
}

export function listWarehousesUseCase(deps: UseCaseDeps) {
  return function listAllWarehouses(includeInactive: boolean): Promise<WarehouseRecord[]> {
    return listWarehouses(deps.db, includeInactive);
  };
}

export async function requireWarehouse(
  deps: Pick<UseCaseDeps, "db">,
  code: string,
): Promise<WarehouseRecord> {
  const found = await findWarehouse(deps.db, code);
  if (!found) throw warehouseNotFound(code);
  return found;
}
