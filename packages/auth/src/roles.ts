// The closed set of caller roles. Tokens carrying other role names get none of them.
export const ROLES = ["storefront", "ops", "admin", "service"] as const;

export type Role = (typeof ROLES)[number];

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && ROLE_SET.has(value);
}

// Who is calling, as established by a verified token.
export interface Principal {
  subject: string;
  roles: readonly Role[];
}
