import { createHmac, timingSafeEqual } from "node:crypto";

// The receiver's side of the signature scheme, written independently of the sandbox's signer.
export function signatureValid(header: string | undefined, rawBody: string, secret: string): boolean {
  if (!header) return false;
  const parts = new Map(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = parts.get("t");
  const v1 = parts.get("v1");
  if (!t || !v1) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
