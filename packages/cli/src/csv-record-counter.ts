// Counts CSV records in a byte stream as it passes: line feeds outside quoted fields. Used for the
// export's progress; the bytes themselves are written as the warehouse sent them.
const QUOTE = 0x22;
const LINE_FEED = 0x0a;

export function createCsvRecordCounter() {
  let quoted = false;
  let records = 0;
  return {
    push(chunk: Uint8Array): void {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte === QUOTE) quoted = !quoted;
        else if (byte === LINE_FEED && !quoted) records++;
      }
    },
    get records(): number {
      return records;
    },
  };
}
