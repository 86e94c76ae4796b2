export {
  CONTRACT_TRANSPORTS,
  type ContractEndpoint,
  type ContractTransport,
  startContractEndpoint,
} from "./contract-transports.ts";
export {
  type DedicatedKafkaBroker,
  type StartDedicatedKafkaBrokerOptions,
  startDedicatedKafkaBroker,
} from "./dedicated-kafka.ts";
export { dockerAnswers, requireTestEnv, type TestVariable } from "./test-infrastructure.ts";
export { createTestRedis, type TestRedis } from "./test-redis.ts";
export { type CreateTestSchemaOptions, createTestSchema, type TestSchema } from "./test-schema.ts";
export { type CreateTestTopicsOptions, createTestTopics, type TestTopics, testKafka } from "./test-topics.ts";
export { uniqueSuffix } from "./unique-name.ts";
