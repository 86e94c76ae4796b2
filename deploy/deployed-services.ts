// Which folders under services/ the deployment checks (compose, Kubernetes) expect to see deployed, and
// where. A folder is a service once its package.json has a start script (one being built has none yet).
// Development and test tools run in compose and the dev overlay only, never in production, and serve no
// metrics listener.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

// The Stripe-shaped payment gateway for development and tests (services/payment-sandbox).
export const DEV_ONLY_SERVICES: readonly string[] = ["payment-sandbox"];

export function runnableServices(): string[] {
  return readdirSync(join(root, "services"))
    .filter((name) => {
      const manifest = join(root, "services", name, "package.json");
      return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).scripts?.start !== undefined;
    })
    .sort();
}

export function isDevOnly(service: string): boolean {
  return DEV_ONLY_SERVICES.includes(service);
}
