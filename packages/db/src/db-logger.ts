// The slice of a pino logger the db package needs, so it does not depend on the logging package.
export interface DbLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

// Fallback when no logger is given: still one JSON line per event on stderr.
export const stderrLogger: DbLogger = {
  info: (obj, msg) => writeLine("info", obj, msg),
  warn: (obj, msg) => writeLine("warn", obj, msg),
  error: (obj, msg) => writeLine("error", obj, msg),
};

function writeLine(level: string, obj: object, msg: string | undefined) {
  const fields = Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? { type: v.name, message: v.message } : v]),
  );
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg })}\n`);
}
