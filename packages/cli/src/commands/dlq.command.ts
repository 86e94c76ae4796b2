// stockroom dlq list|replay --topic T: a topic's dead letters, and sending them back to the topic once
// the cause is fixed (replaces packages/messaging's replay-dlq-cli.ts; the replay itself is
// replayDeadLetters, whose replay group remembers what it sent).
import { type Command, Option } from "commander";
import type { Kafka } from "kafkajs";
import type { CliConfig } from "../cli-config.ts";
import { usageError } from "../exit-codes.ts";
import { nonNegativeInteger } from "../option-parsers.ts";
import { note, printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

// Kafka and the messaging package load only for these commands: the others start faster without them.
async function kafkaOf(config: CliConfig): Promise<Kafka> {
  if (config.kafkaBrokers.length === 0) throw usageError("no Kafka brokers: set --brokers or KAFKA_BROKERS");
  const { Kafka, logLevel } = await import("kafkajs");
  return new Kafka({
    clientId: "stockroom-cli",
    brokers: config.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    // An unreachable broker should fail the command in seconds, not after kafkajs' minute of retries.
    connectionTimeout: 3_000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

export function registerDlqCommands(program: Command, run: RunAction): void {
  const dlq = program.command("dlq").description("dead letters of a Kafka topic (<topic>.dlq)");

  dlq
    .command("list")
    .description("dead letters not yet replayed (all with --all), with why they failed")
    .requiredOption("-t, --topic <topic>", "the original topic, e.g. warehouse.stock.v1")
    .option("-c, --consumer <name>", "only letters this consumer dead-lettered")
    .option(
      "-g, --group <id>",
      "replay group that says what was replayed (default <consumer|all>.dlq-replay)",
    )
    .option("--all", "include letters already replayed")
    .addOption(new Option("--limit <n>", "at most this many").argParser(nonNegativeInteger).default(100))
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{
          topic: string;
          consumer?: string;
          group?: string;
          all?: boolean;
          limit: number;
        }>();
        const { listDeadLetters } = await import("@stockroom/messaging");
        const letters = await listDeadLetters({
          kafka: await kafkaOf(ctx.config),
          topic: o.topic,
          limit: o.limit,
          includeReplayed: o.all === true,
          timeoutMs: ctx.config.timeoutMs,
          ...(o.consumer ? { consumerName: o.consumer } : {}),
          ...(o.group ? { replayGroupId: o.group } : {}),
        });
        if (ctx.config.json) {
          printJson({ topic: o.topic, deadLetters: letters });
          return;
        }
        printTable(
          ["partition", "offset", "event", "type", "consumer", "failed at", "replayed", "error"],
          letters.map((l) => [
            l.partition,
            l.offset,
            l.eventId ?? "",
            l.eventType ?? "",
            l.consumer ?? "",
            l.failedAt ?? "",
            l.replayed ? "yes" : "no",
            (l.error ?? "").slice(0, 120),
          ]),
          `no dead letters on ${o.topic}.dlq`,
        );
      }),
    );

  dlq
    .command("replay")
    .description("send dead letters back to the topic they came from; a second run does not resend them")
    .requiredOption("-t, --topic <topic>", "the original topic, e.g. warehouse.stock.v1")
    .option("-c, --consumer <name>", "only letters this consumer dead-lettered")
    .option(
      "-g, --group <id>",
      "replay group remembering what was replayed (default <consumer|all>.dlq-replay)",
    )
    .addOption(new Option("--limit <n>", "at most this many letters").argParser(nonNegativeInteger))
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{ topic: string; consumer?: string; group?: string; limit?: number }>();
        const logger = {
          debug() {},
          info: (obj: object, msg?: string) => {
            if (!ctx.config.json) note(`${msg ?? ""} ${JSON.stringify(obj)}`);
          },
          warn: (obj: object, msg?: string) => note(`${msg ?? ""} ${JSON.stringify(obj)}`),
          error: (obj: object, msg?: string) => note(`${msg ?? ""} ${JSON.stringify(obj)}`),
        };
        const { replayDeadLetters } = await import("@stockroom/messaging");
        const result = await replayDeadLetters({
          kafka: await kafkaOf(ctx.config),
          topic: o.topic,
          ...(o.consumer ? { consumerName: o.consumer } : {}),
          ...(o.group ? { groupId: o.group } : {}),
          ...(o.limit !== undefined ? { limit: o.limit } : {}),
          logger,
        });
        if (ctx.config.json) printJson({ topic: o.topic, ...result });
        else
          printLine(
            `replayed ${result.replayed} dead letters to ${o.topic} (${result.passedOver} of other consumers passed over)`,
          );
      }),
    );
}
