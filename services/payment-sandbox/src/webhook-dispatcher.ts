// Sends due webhook deliveries to the configured URL, signed, and retries failures with backoff. The
// deliveries are rows, so late and retried webhooks survive a restart of the sandbox.
import type { Pool } from "@stockroom/db";
import type { Logger } from "@stockroom/logging";
import { lockDueDeliveries, markDelivered, markFailed } from "./sandbox.repo.ts";
import { SIGNATURE_HEADER, signatureHeader } from "./webhook-signature.ts";

export interface WebhookDispatcherOptions {
  pool: Pool;
  url: string;
  secret: string;
  logger: Logger;
  pollIntervalMs: number;
  timeoutMs: number;
  maxAttempts: number;
  batchSize?: number;
}

export interface WebhookDispatcher {
  stop(): Promise<void>;
}

export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  async function pass(): Promise<void> {
    const client = await options.pool.connect();
    try {
      await client.query("BEGIN");
      const due = await lockDueDeliveries(client, options.batchSize ?? 20);
      for (const delivery of due) {
        const rawBody = JSON.stringify(delivery.payload);
        const error = await send(rawBody);
        if (error === undefined) {
          await markDelivered(client, delivery.deliveryId);
        } else {
          const attempts = delivery.attempts + 1;
          const retryAt =
            attempts >= options.maxAttempts
              ? null
              : new Date(Date.now() + Math.min(30_000, 250 * 2 ** attempts));
          await markFailed(client, delivery.deliveryId, error, retryAt);
          options.logger.warn({ eventId: delivery.eventId, attempts, error }, "webhook delivery failed");
        }
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async function send(rawBody: string): Promise<string | undefined> {
    try {
      const response = await fetch(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: signatureHeader(options.secret, rawBody, Math.floor(Date.now() / 1000)),
        },
        body: rawBody,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer();
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await pass();
      } catch (err) {
        options.logger.error({ err }, "webhook dispatch pass failed");
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.pollIntervalMs);
      });
    }
  })();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
