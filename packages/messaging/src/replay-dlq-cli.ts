// Replays a topic's dead letters to the topic they came from:
//   KAFKA_BROKERS=127.0.0.1:9092 node packages/messaging/src/replay-dlq-cli.ts --topic warehouse.stock.v1 \
//     [--consumer catalog.stock-projection] [--group <replay group>] [--limit 100]
// Brokers come from KAFKA_BROKERS (TEST_KAFKA_BROKERS when only that is set, as in tests).
import { parseArgs } from "node:util";
import { createLogger } from "@stockroom/logging";
import { createKafkaClient } from "./kafka-client.ts";
import { replayDeadLetters } from "./replay-dead-letters.ts";

const { values } = parseArgs({
  options: {
    topic: { type: "string" },
    consumer: { type: "string" },
    group: { type: "string" },
    limit: { type: "string" },
  },
});

const brokers = (process.env.KAFKA_BROKERS ?? process.env.TEST_KAFKA_BROKERS ?? "")
  .split(",")
  .filter(Boolean);
if (!values.topic || brokers.length === 0) {
  console.error(
    "usage: KAFKA_BROKERS=host:port replay-dlq-cli.ts --topic <topic> [--consumer <name>] [--group <id>] [--limit <n>]",
  );
  process.exit(2);
}
const limit = values.limit === undefined ? undefined : Number(values.limit);
if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
  console.error(`--limit must be a non-negative integer, got ${values.limit}`);
  process.exit(2);
}

// Log lines (the CLI's and kafkajs's, one JSON format) go to stderr; stdout carries only the result.
const logger = createLogger({ service: "replay-dlq-cli", destination: process.stderr });
const kafka = createKafkaClient({ clientId: "replay-dlq-cli", brokers, logger });
const result = await replayDeadLetters({
  kafka,
  topic: values.topic,
  ...(values.consumer ? { consumerName: values.consumer } : {}),
  ...(values.group ? { groupId: values.group } : {}),
  ...(limit !== undefined ? { limit } : {}),
  logger,
});
console.log(JSON.stringify(result));
