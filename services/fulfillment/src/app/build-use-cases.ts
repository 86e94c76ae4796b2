// Every fulfillment use case, built once from the same deps: main.ts serves these and the tests call
// these, so what is tested is what runs. Grouped by caller.
import type { RefundPolicy } from "../domain/return-rules.ts";
import { decideReturnUseCase } from "./authorize-return.ts";
import { buildWaveUseCase } from "./build-wave.ts";
import { cancelFulfillmentsUseCase } from "./cancel-fulfillments.ts";
import { confirmDeliveryUseCase } from "./confirm-delivery.ts";
import { confirmPickUseCase } from "./confirm-pick.ts";
import { createFulfillmentsUseCase } from "./create-fulfillments.ts";
import { inspectReturnUseCase } from "./inspect-return.ts";
import { packFulfillmentUseCase } from "./pack-fulfillment.ts";
import { readFulfillmentsUseCases } from "./read-fulfillments.ts";
import { receiveReturnUseCase } from "./receive-return.ts";
import { recordCarrierDeliveryUseCase } from "./record-carrier-delivery.ts";
import { recordQcResultsUseCase } from "./record-qc-results.ts";
import { reportShortPickUseCase } from "./report-short-pick.ts";
import { requestReturnUseCase } from "./request-return.ts";
import { type CommandWorkerSettings, sendWarehouseCommandsUseCase } from "./send-warehouse-commands.ts";
import { shipFulfillmentUseCase } from "./ship-fulfillment.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface UseCaseSettings {
  commandWorker: CommandWorkerSettings;
  returnWindowMs: number;
  refundPolicy: RefundPolicy;
}

export function buildUseCases(deps: UseCaseDeps, settings: UseCaseSettings) {
  const confirmDelivery = confirmDeliveryUseCase(deps);
  return {
    // The order-events consumer: each runs inside the consumer's transaction.
    orderEvents: {
      createFulfillments: createFulfillmentsUseCase(deps),
      cancelFulfillments: cancelFulfillmentsUseCase(deps),
    },
    // FulfillmentService (floor operations).
    floor: {
      buildWave: buildWaveUseCase(deps),
      confirmPick: confirmPickUseCase(deps),
      reportShortPick: reportShortPickUseCase(deps),
      pack: packFulfillmentUseCase(deps),
      recordQcResults: recordQcResultsUseCase(deps),
      ship: shipFulfillmentUseCase(deps),
      confirmDelivery,
    },
    returns: {
      request: requestReturnUseCase(deps, { returnWindowMs: settings.returnWindowMs }),
      authorize: decideReturnUseCase(deps, "authorize"),
      reject: decideReturnUseCase(deps, "reject"),
      receive: receiveReturnUseCase(deps),
      inspect: inspectReturnUseCase(deps, { refundPolicy: settings.refundPolicy }),
    },
    queries: readFulfillmentsUseCases(deps),
    // The carriers' delivery webhook (transport/http).
    carrierWebhook: {
      recordDelivery: recordCarrierDeliveryUseCase(deps, confirmDelivery),
    },
    commands: {
      sendDue: sendWarehouseCommandsUseCase(deps, settings.commandWorker),
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
