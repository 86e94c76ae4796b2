export { appendToOutbox, type OutboxDatabase, type OutboxTable } from "./append-to-outbox.ts";
export { type EventContext, type OutboxEvent, type OutboxRow, toOutboxRow } from "./outbox-event.ts";
