// An HTTP endpoint in a test process that records every webhook the sandbox sends (headers and the raw
// body, for signature checks), and can be told to fail the next deliveries (to see them retried).
import { once } from "node:events";
import { createServer } from "node:http";

export interface ReceivedWebhook {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  event: { id: string; type: string; data: { object: Record<string, unknown> } };
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answers 500 to the next `count` deliveries whose body contains `match`. */
  failNext(count: number, match: string): void;
  waitFor(predicate: (all: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let failMatch = "";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      if (failures > 0 && rawBody.includes(failMatch)) {
        failures -= 1;
        res.writeHead(500).end();
        return;
      }
      received.push({ headers: req.headers, rawBody, event: JSON.parse(rawBody), receivedAt: Date.now() });
      res.writeHead(200).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    failNext(count, match) {
      failures = count;
      failMatch = match;
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(`webhooks not as expected: ${JSON.stringify(received.map((w) => w.event.type))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return received;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
