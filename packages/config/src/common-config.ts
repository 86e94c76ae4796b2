// Variables every Stockroom service reads. Services extend it: `commonConfigSchema.extend({ ... })`.
import { z } from "zod";
import {
  commaList,
  durationMs,
  logLevel,
  nonEmptyString,
  port,
  positiveInt,
  postgresUrl,
  secret,
  url,
} from "./fields.ts";

/** The HS256 secret deploy/local/env.sh exports: for development only, refused in production. */
export const DEVELOPMENT_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef";

export const DEPLOYMENT_ENVIRONMENTS = ["development", "production"] as const;

export const commonConfigShape = {
  SERVICE_NAME: nonEmptyString().optional(),
  LOG_LEVEL: logLevel().default("info"),
  GRPC_PORT: port().default(50051),
  METRICS_PORT: port().default(9464),
  DATABASE_URL: postgresUrl(),
  DB_POOL_MAX: positiveInt().default(10),
  DB_STATEMENT_TIMEOUT: durationMs().default(30_000),
  // Our services' own HS256 tokens (service to service, dev tooling). A service schema spreads
  // authConfigShape and applies checkAuthConfig, which needs it or JWT_JWKS_URL.
  JWT_SECRET: secret({ minLength: 32 }).optional(),
  JWT_ISSUER: nonEmptyString().default("stockroom"),
  JWT_AUDIENCE: nonEmptyString().default("stockroom"),
};

// Token verification beyond the shared secret, for a service that takes calls.
export const authConfigShape = {
  // production refuses the development secret (checkAuthConfig).
  STOCKROOM_ENV: z.enum(DEPLOYMENT_ENVIRONMENTS).default("development"),
  // An identity provider's key set (its OIDC jwks_uri): tokens signed with its keys, for JWT_ISSUER and
  // JWT_AUDIENCE, are accepted beside our HS256 ones.
  JWT_JWKS_URL: url({ protocols: ["https", "http"] }).optional(),
  JWT_ALGORITHMS: commaList()
    .pipe(z.array(z.enum(["RS256", "ES256", "PS256", "EdDSA"])))
    .default(["RS256", "ES256"]),
};

interface AuthConfig {
  STOCKROOM_ENV: (typeof DEPLOYMENT_ENVIRONMENTS)[number];
  JWT_SECRET?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
}

/**
 * The checks across auth variables, for a service schema's superRefine: some key to verify tokens
 * with, and never the development secret in production.
 */
export function checkAuthConfig(config: AuthConfig, ctx: z.RefinementCtx): void {
  if (config.JWT_SECRET === undefined && config.JWT_JWKS_URL === undefined) {
    ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "set JWT_SECRET or JWT_JWKS_URL" });
  }
  if (config.STOCKROOM_ENV === "production" && config.JWT_SECRET === DEVELOPMENT_JWT_SECRET) {
    ctx.addIssue({
      code: "custom",
      path: ["JWT_SECRET"],
      message: "is the development secret from deploy/local/env.sh, refused with STOCKROOM_ENV=production",
    });
  }
}

export const commonConfigSchema = z.object(commonConfigShape);

export type CommonConfig = z.output<typeof commonConfigSchema>;
