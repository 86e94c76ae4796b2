// stockroom token --role ROLE: a development JWT signed with JWT_SECRET (deploy/local/env.sh sets it),
// the same issuer the services' tests use. Not for production: real tokens come from the identity provider.
import { createTokenIssuer, ROLES, type Role } from "@stockroom/auth";
import { type Command, Option } from "commander";
import { usageError } from "../exit-codes.ts";
import { oneOf, positiveInteger } from "../option-parsers.ts";
import { printJson, printLine } from "../output.ts";
import type { RunAction } from "../program.ts";

export function registerTokenCommand(program: Command, run: RunAction): void {
  program
    .command("token")
    .description(
      "print a development token signed with JWT_SECRET (export STOCKROOM_TOKEN=$(stockroom token --role ops))",
    )
    .addOption(new Option("--role <role>", ROLES.join(" | ")).argParser(oneOf(ROLES)).makeOptionMandatory())
    .option("--subject <subject>", "who the token names (default dev-<role>)")
    .addOption(new Option("--ttl <seconds>", "lifetime").argParser(positiveInteger).default(3600))
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{ role: Role; subject?: string; ttl: number }>();
        const secret = process.env.WAREHOUSE_JWT_SECRET || process.env.JWT_SECRET;
        if (!secret) throw usageError("JWT_SECRET is not set (source deploy/local/env.sh)");
        let issuer: ReturnType<typeof createTokenIssuer>;
        try {
          issuer = createTokenIssuer({
            secret,
            issuer: process.env.JWT_ISSUER || "stockroom",
            audience: process.env.JWT_AUDIENCE || "stockroom",
          });
        } catch (err) {
          throw usageError(`JWT_SECRET: ${(err as Error).message}`);
        }
        const subject = o.subject ?? `dev-${o.role}`;
        const token = await issuer.issue({ subject, roles: [o.role], ttlSec: o.ttl });
        if (ctx.config.json) {
          const expiresAt = new Date(Date.now() + o.ttl * 1000).toISOString();
          printJson({ token, subject, roles: [o.role], expiresAt });
        } else {
          printLine(token);
        }
      }),
    );
}
