// Errors an engine raises for input it cannot use; the service maps them to INVALID_ARGUMENT.

// An `after` sort key that does not fit the query's sort (the page token is reported as invalid).
export class InvalidSortKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSortKeyError";
  }
}
