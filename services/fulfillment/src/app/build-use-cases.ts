// Every fulfillment use case, built once from the same deps: main.ts serves these and the tests call
// these, so what is tested is what runs. Grouped by caller.
import { cancelFulfillmentsUseCase } from "./cancel-fulfillments.ts";
import { createFulfillmentsUseCase } from "./create-fulfillments.ts";
import { type CommandWorkerSettings, sendWarehouseCommandsUseCase } from "./send-warehouse-commands.ts";
import { shipFulfillmentUseCase } from "./ship-fulfillment.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface UseCaseSettings {
  commandWorker: CommandWorkerSettings;
}

export function buildUseCases(deps: UseCaseDeps, settings: UseCaseSettings) {
  return {
    // The order-events consumer: each runs inside the consumer's transaction.
    orderEvents: {
      createFulfillments: createFulfillmentsUseCase(deps),
      cancelFulfillments: cancelFulfillmentsUseCase(deps),
    },
    // FulfillmentService (floor operations).
    floor: {
      ship: shipFulfillmentUseCase(deps),
    },
    commands: {
      sendDue: sendWarehouseCommandsUseCase(deps, settings.commandWorker),
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
