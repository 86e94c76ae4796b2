export { ensureTopics, type TopicSpec } from "./ensure-topics.ts";
