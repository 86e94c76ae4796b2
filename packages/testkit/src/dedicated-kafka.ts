// A Kafka broker of a test's own, for fault tests that stop, kill or restart the broker: the shared broker
// on 9092 serves every test file in parallel and must never be touched. Single-node KRaft on free ports,
// run on the local JVM from the jars deploy/local/infra-up.sh caches, with its own temporary data dir.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";

export interface DedicatedKafkaBroker {
  /** Bootstrap address, e.g. ["127.0.0.1:41234"]. Stays the same across restart(). */
  readonly brokers: string[];
  /** SIGTERM (controlled shutdown); resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL (a crash); resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts the broker again on the same ports and data dir; resolves when it answers. */
  restart(): Promise<void>;
  /** Kills the broker if it runs and deletes its data dir. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface StartDedicatedKafkaBrokerOptions {
  /** Bounded wait for the broker to answer an admin call; 60 s by default. */
  readonly readyTimeoutMs?: number;
}

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const KAFKA_DEPLOY_DIR = join(REPO_ROOT, "deploy/local/kafka");
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;
// Quick JVM start-up matters more than broker throughput here (tests run in CI).
const JVM_FLAGS = [
  "-Xms64m",
  "-Xmx256m",
  "-XX:+UseSerialGC",
  "-XX:TieredStopAtLevel=1",
  "-Xshare:auto",
  "-Djava.awt.headless=true",
];
const execFileAsync = promisify(execFile);

export async function startDedicatedKafkaBroker(
  options: StartDedicatedKafkaBrokerOptions = {},
): Promise<DedicatedKafkaBroker> {
  const libsDir = kafkaLibsDir();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const { port, controllerPort } = await freePorts();
  const home = await mkdtemp(join(tmpdir(), "stockroom-kafka-"));
  const brokers = [`127.0.0.1:${port}`];
  const propertiesFile = join(home, "server.properties");
  await writeFile(propertiesFile, serverProperties(port, controllerPort, join(home, "data")));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let cleaned = false;

  function java(mainClass: string, args: string[], logLevelName: string): string[] {
    return [
      ...JVM_FLAGS,
      `-Dlog4j.configuration=file:${join(KAFKA_DEPLOY_DIR, "log4j.properties")}`,
      `-Dkafka.root.logger=${logLevelName}`,
      `-Dkafka.logs.dir=${join(home, "logs")}`,
      "-cp",
      `${libsDir}/*`,
      mainClass,
      ...args,
    ];
  }

  // A test process that dies without cleanup() must not leave a JVM behind.
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);

  async function launch(): Promise<void> {
    const out = openSync(join(home, "broker.out"), "a");
    const started = spawn("java", java("kafka.Kafka", [propertiesFile], "INFO, serverLog"), {
      stdio: ["ignore", out, out],
    });
    child = started;
    exited = new Promise((resolveExit) => started.once("exit", () => resolveExit()));
    await waitUntilAnswering(brokers, started, readyTimeoutMs, () => brokerLogTail(home));
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill(name);
    const timedOut = await Promise.race([exited.then(() => false), sleep(EXIT_TIMEOUT_MS).then(() => true)]);
    if (timedOut) {
      running.kill("SIGKILL");
      await exited;
    }
  }

  try {
    // A cluster id is 16 random bytes in URL-safe base64, never starting with "-" (the tool's argument
    // parser would read it as an option: "expected one argument"), as StorageTool random-uuid makes them.
    let clusterId = randomBytes(16).toString("base64url");
    while (clusterId.startsWith("-")) clusterId = randomBytes(16).toString("base64url");
    await execFileAsync(
      "java",
      java("kafka.tools.StorageTool", ["format", "-t", clusterId, "-c", propertiesFile], "WARN, stderr"),
    );
    await launch();
  } catch (err) {
    await signal("SIGKILL");
    process.off("exit", killOnExit);
    await rm(home, { recursive: true, force: true });
    throw err;
  }

  return {
    brokers,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    async restart() {
      await signal("SIGTERM");
      await launch();
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await signal("SIGKILL");
      process.off("exit", killOnExit);
      await rm(home, { recursive: true, force: true });
    },
  };
}

function kafkaLibsDir(): string {
  const pom = readFileSync(join(KAFKA_DEPLOY_DIR, "pom.xml"), "utf8");
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`no <kafka.version> in ${join(KAFKA_DEPLOY_DIR, "pom.xml")}`);
  const cache = process.env.STOCKROOM_CACHE?.trim() || join(homedir(), ".cache/stockroom");
  const home = join(cache, `kafka-${version}`);
  // The marker is written last by infra-up.sh: without it the download may be partial.
  if (!existsSync(join(home, "libs.complete"))) {
    throw new Error(
      `no Kafka ${version} jars in ${join(home, "libs")}: run bash deploy/local/infra-up.sh first`,
    );
  }
  return join(home, "libs");
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
# After kill() the old registration blocks the restarted broker until its session expires (9 s default).
broker.session.timeout.ms=2000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.segment.bytes=16777216
`;
}

// Ports the OS hands out as free right now; the broker binds them a moment later (a small race that a
// test run on one machine does not lose in practice).
async function freePorts(): Promise<{ port: number; controllerPort: number }> {
  const [port, controllerPort] = await freePortList(2);
  if (port === undefined || controllerPort === undefined) throw new Error("no free ports");
  return { port, controllerPort };
}

async function freePortList(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolveListen, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolveListen);
      });
      return server;
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port assigned");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  return ports;
}

// Ready means a real admin round trip (metadata from the broker), not just an open port.
async function waitUntilAnswering(
  brokers: string[],
  process_: ChildProcess,
  timeoutMs: number,
  logTail: () => Promise<string>,
): Promise<void> {
  const kafka = new Kafka({
    clientId: "dedicated-broker-probe",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (process_.exitCode !== null || process_.signalCode !== null) {
      throw new Error(`dedicated Kafka broker exited during start-up:\n${await logTail()}`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(
    `dedicated Kafka broker on ${brokers.join(",")} did not answer within ${timeoutMs} ms (${String(lastError)}):\n${await logTail()}`,
  );
}

async function brokerLogTail(home: string): Promise<string> {
  const tail = async (file: string) => {
    try {
      return (await readFile(join(home, file), "utf8")).split("\n").slice(-30).join("\n");
    } catch {
      return "";
    }
  };
  return `${await tail("broker.out")}\n${await tail("logs/server.log")}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
