// HS256 keys shorter than the hash output are brute-forceable; refuse them at start-up.
const MIN_SECRET_BYTES = 32;

export function encodeSecret(secret: string | Uint8Array): Uint8Array {
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < MIN_SECRET_BYTES) {
    throw new Error(`JWT secret must be at least ${MIN_SECRET_BYTES} bytes, got ${key.byteLength}`);
  }
  return key;
}
