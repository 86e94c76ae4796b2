// Issues HS256 tokens: for service-to-service calls, dev tooling and tests.
import { SignJWT } from "jose";
import type { Role } from "./roles.ts";
import { encodeSecret } from "./secret.ts";

export interface TokenIssuerOptions {
  secret: string | Uint8Array;
  issuer: string;
  audience: string;
  defaultTtlSec?: number;
}

export interface IssueTokenInput {
  subject: string;
  roles: readonly Role[];
  ttlSec?: number;
}

export interface TokenIssuer {
  issue(input: IssueTokenInput): Promise<string>;
}

export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const key = encodeSecret(options.secret);
  const defaultTtlSec = options.defaultTtlSec ?? 900;
  return {
    issue({ subject, roles, ttlSec }: IssueTokenInput): Promise<string> {
      const nowSec = Math.floor(Date.now() / 1000);
      return new SignJWT({ roles: [...roles] })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(subject)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(nowSec)
        .setExpirationTime(nowSec + (ttlSec ?? defaultTtlSec))
        .sign(key);
    },
  };
}
