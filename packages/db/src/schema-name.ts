// Schema names end up in SQL text and in the libpq "options" string, so only plain identifiers are allowed.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema) || schema.startsWith("pg_")) {
    throw new Error(
      `invalid schema name ${JSON.stringify(schema)}: expected [a-z_][a-z0-9_]{0,62}, not starting with pg_`,
    );
  }
  return schema;
}

export function quoteIdent(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
