// Verifies bearer JWTs (HS256 shared secret, or a JWKS for asymmetric keys) into a Principal.
// Every failure becomes an `unauthenticated` AppError with no detail of why, so callers cannot probe.
// A storefront backend sends the same token on thousands of calls: a token that verified is remembered
// (by its exact text, bounded in number and in time, never past its expiry), so the signature check runs
// once per token per minute instead of once per call. Failures are never remembered.
import { unauthenticated } from "@stockroom/errors";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { LRUCache } from "lru-cache";
import { isRole, type Principal } from "./roles.ts";
import { encodeSecret } from "./secret.ts";

export type TokenKeySource =
  | { secret: string | Uint8Array }
  | { jwksUrl: string | URL }
  | { jwks: JSONWebKeySet };

export type TokenVerifierOptions = TokenKeySource & {
  issuer: string;
  audience: string;
  clockToleranceSec?: number;
  // Verified tokens remembered (default 10,000; 0 turns remembering off) and for how long at most
  // (default 60 s; a key removed from a JWKS stops accepting its tokens within this time).
  cacheMaxTokens?: number;
  cacheMaxAgeSec?: number;
};

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const verifyJwt = buildJwtVerify(options);
  const maxTokens = options.cacheMaxTokens ?? 10_000;
  const maxAgeMs = (options.cacheMaxAgeSec ?? 60) * 1000;
  const verified =
    maxTokens > 0 && maxAgeMs > 0
      ? new LRUCache<string, Principal>({ max: maxTokens, ttl: maxAgeMs, ttlAutopurge: false })
      : undefined;
  return {
    async verify(token: string): Promise<Principal> {
      if (token.length === 0) throw unauthenticated("missing bearer token");
      const remembered = verified?.get(token);
      if (remembered) return remembered;
      let payload: JWTPayload;
      try {
        payload = await verifyJwt(token);
      } catch (err) {
        throw unauthenticated("invalid bearer token", undefined, err);
      }
      const principal = Object.freeze(principalFromPayload(payload));
      // exp is required, so always present here; remembered until it passes, and no longer than maxAgeMs.
      const untilExpiryMs = (payload.exp ?? 0) * 1000 - Date.now();
      if (verified && untilExpiryMs > 0)
        verified.set(token, principal, { ttl: Math.min(maxAgeMs, untilExpiryMs) });
      return principal;
    },
  };
}

function buildJwtVerify(options: TokenVerifierOptions): (token: string) => Promise<JWTPayload> {
  const claims = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSec ?? 5,
    requiredClaims: ["sub", "exp"],
  };
  if ("secret" in options) {
    const key = encodeSecret(options.secret);
    return async (token) => (await jwtVerify(token, key, { ...claims, algorithms: ["HS256"] })).payload;
  }
  const keys: JWTVerifyGetKey =
    "jwksUrl" in options ? createRemoteJWKSet(new URL(options.jwksUrl)) : createLocalJWKSet(options.jwks);
  return async (token) =>
    (await jwtVerify(token, keys, { ...claims, algorithms: ASYMMETRIC_ALGORITHMS })).payload;
}

function principalFromPayload(payload: JWTPayload): Principal {
  const subject = payload.sub;
  if (typeof subject !== "string" || subject.length === 0) throw unauthenticated("token has no subject");
  const claimed: unknown = payload.roles;
  const roles = Array.isArray(claimed) ? claimed.filter(isRole) : [];
  return { subject, roles };
}
