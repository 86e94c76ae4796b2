// Webhook signatures, Stripe's scheme: header `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
import { createHmac } from "node:crypto";

export const SIGNATURE_HEADER = "sandbox-signature";

export function signatureHeader(secret: string, rawBody: string, timestampSec: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestampSec}.${rawBody}`).digest("hex");
  return `t=${timestampSec},v1=${v1}`;
}
