// The slice of a pino logger the relay needs, so the package does not depend on the logging package.
export interface RelayLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
