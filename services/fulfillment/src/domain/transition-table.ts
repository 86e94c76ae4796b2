// The shape every fulfillment state machine shares: for each command, the statuses it may start from and
// the status it leads to. The domain checks a command here; the repository repeats the same `from` list
// as UPDATE ... WHERE status = ANY($from), so two racing commands cannot both win.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";

export type TransitionTable<Status extends string, Command extends string> = Readonly<
  Record<Command, { readonly from: readonly Status[]; readonly to: Status }>
>;

export function canTransition<Status extends string, Command extends string>(
  table: TransitionTable<Status, Command>,
  status: Status,
  command: Command,
): boolean {
  return table[command].from.includes(status);
}

// The status after `command`, or FAILED_PRECONDITION (INVALID_STATE_TRANSITION) naming what it needs.
export function assertTransition<Status extends string, Command extends string>(
  table: TransitionTable<Status, Command>,
  subject: string,
  status: Status,
  command: Command,
): Status {
  const rule = table[command];
  if (!rule.from.includes(status)) {
    throw failedPrecondition(
      ErrorReason.INVALID_STATE_TRANSITION,
      `${subject} is ${status}; ${command} needs it ${rule.from.join(" or ")}`,
      { status, command },
    );
  }
  return rule.to;
}
