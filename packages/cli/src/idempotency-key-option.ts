// Every mutating command sends an idempotency key: the one given with --idempotency-key (repeat it to
// make a retried command act once), or a new one per run.
import { randomUUID } from "node:crypto";
import { type Command, Option } from "commander";

export function idempotencyKeyOption(what: string): Option {
  return new Option(
    "--idempotency-key <key>",
    `repeat a key to make a retried ${what} act once (default: new)`,
  );
}

export function idempotencyKeyOf(command: Command, prefix: string): string {
  return command.opts<{ idempotencyKey?: string }>().idempotencyKey ?? `cli-${prefix}-${randomUUID()}`;
}
