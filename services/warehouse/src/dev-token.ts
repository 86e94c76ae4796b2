// Prints a development JWT for one role, signed with JWT_SECRET, for trying the API by hand:
//   node src/dev-token.ts storefront [subject]
import { createTokenIssuer, isRole } from "@stockroom/auth";

const [role = "storefront", subject = `dev-${role}`] = process.argv.slice(2);
const secret = process.env.WAREHOUSE_JWT_SECRET ?? process.env.JWT_SECRET;
if (!secret) {
  process.stderr.write("JWT_SECRET is not set (source deploy/local/env.sh)\n");
  process.exit(2);
}
if (!isRole(role)) {
  process.stderr.write(`unknown role ${role}; use storefront, ops, admin or service\n`);
  process.exit(2);
}
const issuer = createTokenIssuer({
  secret,
  issuer: process.env.JWT_ISSUER ?? "stockroom",
  audience: process.env.JWT_AUDIENCE ?? "stockroom",
});
process.stdout.write(`${await issuer.issue({ subject, roles: [role], ttlSec: 3600 })}\n`);
