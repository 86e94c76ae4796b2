// The `stockroom` command tree (commander): global options, one module per command group, and the
// mapping of whatever a command throws to a message and an exit code.
import { GrpcCallError, status } from "@stockroom/grpc";
import { Command, CommanderError, Option } from "commander";
import { type CliContext, createCliContext } from "./cli-context.ts";
import { registerBinCommands } from "./commands/bins.command.ts";
import { registerDlqCommands } from "./commands/dlq.command.ts";
import { registerFulfillmentCommands } from "./commands/fulfillments.command.ts";
import { registerImportCommands } from "./commands/import.command.ts";
import { registerMovementCommands } from "./commands/movements.command.ts";
import { registerOrderCommands } from "./commands/orders.command.ts";
import { registerReconcileCommand } from "./commands/reconcile.command.ts";
import { registerReservationCommands } from "./commands/reservations.command.ts";
import { registerStockCommands } from "./commands/stock.command.ts";
import { registerTokenCommand } from "./commands/token.command.ts";
import { registerWarehouseCommands } from "./commands/warehouses.command.ts";
import { CliError, describeFailure, EXIT, type ExitCode, exitCodeFor } from "./exit-codes.ts";
import { positiveInteger } from "./option-parsers.ts";

/** A command's body: returns its exit code (ok when it returns nothing) or throws. */
export type CommandBody = (ctx: CliContext, command: Command) => Promise<ExitCode> | Promise<void>;
/** Wraps a body as a commander action that opens the context and closes it afterwards. */
export type RunAction = (body: CommandBody) => (...args: unknown[]) => Promise<void>;

export const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    partial failure (some import rows failed, reconcile found drift)
  2    bad arguments, options, CSV header or config file (also INVALID_ARGUMENT from a service)
  3    service or Kafka unavailable, or no answer in time
  4    no token, token refused, or the token's role may not do this
  5    not found
  6    refused as things stand (already exists, failed precondition)
  7    any other failure
  130  interrupted (Ctrl-C) after finishing cleanly; an import prints how to resume it`;

export function buildProgram(result: { code: ExitCode }): Command {
  const program = new Command("stockroom")
    .description(
      "Stockroom operations: stock, imports and exports, warehouses, bins, orders, fulfillment, dead letters.",
    )
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .option("--json", "print one JSON document for scripts instead of tables")
    .option("--config <file>", "config file (default ~/.config/stockroom/config.json; env STOCKROOM_CONFIG)")
    .option(
      "--warehouse-address <host:port>",
      "warehouse gRPC address (env STOCKROOM_WAREHOUSE_ADDRESS; default 127.0.0.1:$WAREHOUSE_GRPC_PORT or 50051)",
    )
    .option(
      "--order-address <host:port>",
      "order service gRPC address (env STOCKROOM_ORDER_ADDRESS; default 127.0.0.1:$ORDER_GRPC_PORT or 50053)",
    )
    .option(
      "--fulfillment-address <host:port>",
      "fulfillment service gRPC address (env STOCKROOM_FULFILLMENT_ADDRESS; default 127.0.0.1:$FULFILLMENT_GRPC_PORT or 50054)",
    )
    .option("--brokers <list>", "Kafka brokers for dlq commands (env KAFKA_BROKERS; default 127.0.0.1:9092)")
    .addOption(
      new Option(
        "--timeout <ms>",
        "deadline of each call (default 30 s; 10 min for an import batch or an export)",
      ).argParser(positiveInteger),
    )
    .addHelpText("after", EXIT_CODES_HELP);

  const run: RunAction =
    (body) =>
    async (...args) => {
      const command = args.at(-1) as Command;
      const ctx = createCliContext(command);
      try {
        const code = await body(ctx, command);
        result.code = typeof code === "number" ? code : EXIT.ok;
      } catch (err) {
        // A refused token: say which token, since there are three places it may come from.
        if (err instanceof GrpcCallError && err.code === status.UNAUTHENTICATED) {
          throw new CliError(`${describeFailure(err)} (token from ${ctx.config.tokenSource})`, EXIT.auth);
        }
        throw err;
      } finally {
        ctx.close();
      }
    };

  registerStockCommands(program, run);
  registerReservationCommands(program, run);
  registerImportCommands(program, run);
  registerMovementCommands(program, run);
  registerWarehouseCommands(program, run);
  registerBinCommands(program, run);
  registerOrderCommands(program, run);
  registerFulfillmentCommands(program, run);
  registerReconcileCommand(program, run);
  registerDlqCommands(program, run);
  registerTokenCommand(program, run);
  return program;
}

/** Runs one invocation; returns the process exit code. */
export async function runCli(argv: string[]): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: EXIT.ok };
  const program = buildProgram(result);
  try {
    await program.parseAsync(argv);
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message (or the help) already.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.ok;
      if (err.code === "commander.help") return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return EXIT.usage;
    }
    const code = exitCodeFor(err);
    if (program.opts().json === true) {
      process.stderr.write(
        `${JSON.stringify({ error: { message: describeFailure(err), exitCode: code } })}\n`,
      );
    } else {
      process.stderr.write(`stockroom: ${describeFailure(err)}\n`);
    }
    if (code === EXIT.failed && !(err instanceof Error && err.name === "GrpcCallError")) {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? "") : ""}\n`);
    }
    return code;
  }
}
