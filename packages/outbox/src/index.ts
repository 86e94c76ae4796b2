export {
  appendToOutbox,
  appendToOutboxStatement,
  type OutboxDatabase,
  type OutboxTable,
} from "./append-to-outbox.ts";
export { type EventContext, type OutboxEvent, type OutboxRow, toOutboxRow } from "./outbox-event.ts";
export {
  createOutboxRelay,
  OutboxPublishError,
  type OutboxRelay,
  type OutboxRelayOptions,
  type RelayPassResult,
} from "./relay.ts";
export { outboxChannel } from "./relay-lease.ts";
export type { RelayLogger } from "./relay-logger.ts";
