// What every fulfillment use case is built with (wired by hand in main.ts, and by the tests).
import { type TransactionalDeps, transactionalDeps } from "@stockroom/db";
import type { EventContext } from "@stockroom/outbox";
import type { Kysely } from "kysely";
import type { FulfillmentDatabase } from "../data/database.ts";
import { DEFAULT_QC_POLICY, type QcPolicy } from "../domain/package.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../domain/warehouse-command.ts";
import type { CatalogPort } from "./catalog.port.ts";
import type { WarehouseLocationsPort, WarehousePort } from "./warehouse.port.ts";

// Topic names come from @stockroom/messaging's one module; main.ts passes them in (app/ does not
// import the Kafka layer).
export interface FulfillmentTopics {
  fulfillment: string;
  return: string;
}

export interface UseCaseDeps extends TransactionalDeps<FulfillmentDatabase> {
  warehouse: WarehousePort;
  // Reads made before a transaction (never inside one): unit locations for waves, weights for packing.
  locations: WarehouseLocationsPort;
  catalog: CatalogPort;
  qcPolicy: QcPolicy;
  topics: FulfillmentTopics;
  retryPolicy: RetryPolicy;
  // Uniform in [0, 1): QC sampling and retry jitter (fixed in tests).
  random: () => number;
  producer: string;
}

// Without a catalog no weight is known: every package is held for QC on its weight.
const NO_CATALOG: CatalogPort = { unitWeights: async () => new Map() };

export function createUseCaseDeps(
  db: Kysely<FulfillmentDatabase>,
  options: {
    warehouse: WarehousePort & WarehouseLocationsPort;
    catalog?: CatalogPort;
    qcPolicy?: QcPolicy;
    topics: FulfillmentTopics;
    clock?: () => Date;
    retryPolicy?: RetryPolicy;
    random?: () => number;
  },
): UseCaseDeps {
  return {
    ...transactionalDeps(db, options.clock),
    warehouse: options.warehouse,
    locations: options.warehouse,
    catalog: options.catalog ?? NO_CATALOG,
    qcPolicy: options.qcPolicy ?? DEFAULT_QC_POLICY,
    topics: options.topics,
    retryPolicy: options.retryPolicy ?? DEFAULT_RETRY_POLICY,
    random: options.random ?? Math.random,
    producer: "fulfillment",
  };
}

// Who asks, whose idempotency keys these are, and the ids the events carry.
export interface RequestContext extends EventContext {
  actor: string;
  principal: string;
}
