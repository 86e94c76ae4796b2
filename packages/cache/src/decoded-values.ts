// The last value decoded (or stored) per id with its bytes: a hot entry is read far more often than it
// changes, and decoding was a real share of a cached read's CPU (docs/performance.md). Only identical
// bytes reuse a value, so what a read returns is exactly what Redis holds; Redis is still asked every
// time. A value this process stored is remembered with the bytes it was stored as, so the reads after a
// load do not decode it again.
export interface DecodedValues<V> {
  /** The value of these bytes: the remembered one when the bytes are the same, else freshly decoded. */
  decode(id: string, bytes: Buffer): V;
  remember(id: string, bytes: Buffer, value: V): void;
}

export function createDecodedValues<V>(
  decodeBytes: (bytes: Uint8Array) => V,
  maxTracked: number,
): DecodedValues<V> {
  const decodedById = new Map<string, { bytes: Buffer; value: V }>();

  function remember(id: string, bytes: Buffer, value: V): void {
    if (!decodedById.has(id) && decodedById.size >= maxTracked) {
      // Bounded: drop the oldest id (Map iterates in insertion order).
      const oldest = decodedById.keys().next();
      if (!oldest.done) decodedById.delete(oldest.value);
    }
    decodedById.set(id, { bytes, value });
  }

  return {
    decode(id, bytes) {
      const last = decodedById.get(id);
      if (last?.bytes.equals(bytes)) return last.value;
      const value = decodeBytes(bytes);
      // A copy: the client may hand out slices of a buffer it reuses.
      remember(id, Buffer.from(bytes), value);
      return value;
    },
    remember,
  };
}
