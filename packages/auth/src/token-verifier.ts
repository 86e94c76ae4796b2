// Verifies bearer JWTs (HS256 shared secret, a JWKS for an identity provider's asymmetric keys, or
// both: the token's alg picks which) into a Principal.
// Every failure becomes an `unauthenticated` AppError with no detail of why, so callers cannot probe.
// A storefront backend sends the same token on thousands of calls: a token that verified is remembered
// (by its exact text, bounded in number and in time, never past its expiry), so the signature check runs
// once per token per minute instead of once per call. Failures are never remembered.
import { unauthenticated } from "@stockroom/errors";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { LRUCache } from "lru-cache";
import { isRole, type Principal } from "./roles.ts";
import { encodeSecret } from "./secret.ts";

// With a JWKS (an OIDC provider's jwks_uri, or a local set) a secret may be given as well: HS256 tokens
// (our services' own, signed with the shared secret) then verify against it, any other alg against the
// key set.
export type TokenKeySource =
  | { secret: string | Uint8Array }
  | { jwksUrl: string | URL; secret?: string | Uint8Array }
  | { jwks: JSONWebKeySet; secret?: string | Uint8Array };

/** Asymmetric algorithms a key set's tokens may use. */
export const JWKS_ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

export type TokenVerifierOptions = TokenKeySource & {
  issuer: string;
  audience: string;
  /** Algorithms accepted from the key set; defaults to RS256 and ES256, what OIDC providers sign with. */
  algorithms?: readonly JwksAlgorithm[];
  clockToleranceSec?: number;
  // Verified tokens remembered (default 10,000; 0 turns remembering off) and for how long at most
  // (default 60 s; a key removed from a JWKS stops accepting its tokens within this time).
  cacheMaxTokens?: number;
  cacheMaxAgeSec?: number;
};

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

const DEFAULT_JWKS_ALGORITHMS: readonly JwksAlgorithm[] = ["RS256", "ES256"];

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
  const secret = options.secret === undefined ? undefined : encodeSecret(options.secret);
  const verifyHs256 =
    secret === undefined
      ? undefined
      : async (token: string) =>
          (await jwtVerify(token, secret, { ...claims, algorithms: ["HS256"] })).payload;
  if (!("jwksUrl" in options) && !("jwks" in options)) {
    if (verifyHs256 === undefined) throw new Error("a token verifier needs a secret or a key set");
    return verifyHs256;
  }
  const keys: JWTVerifyGetKey =
    "jwksUrl" in options ? createRemoteJWKSet(new URL(options.jwksUrl)) : createLocalJWKSet(options.jwks);
  const algorithms = [...(options.algorithms ?? DEFAULT_JWKS_ALGORITHMS)];
  const verifyJwks = async (token: string) =>
    (await jwtVerify(token, keys, { ...claims, algorithms })).payload;
  if (verifyHs256 === undefined) return verifyJwks;
  // Routed by the header's alg; each path still enforces its own algorithm list.
  return (token) => (decodeProtectedHeader(token).alg === "HS256" ? verifyHs256(token) : verifyJwks(token));
}

function principalFromPayload(payload: JWTPayload): Principal {
  const subject = payload.sub;
  if (typeof subject !== "string" || subject.length === 0) throw unauthenticated("token has no subject");
  const claimed: unknown = payload.roles;
  const roles = Array.isArray(claimed) ? claimed.filter(isRole) : [];
  return { subject, roles };
}

/** The key source a service's configuration names: a JWKS URL, a secret, or both. */
export function tokenKeySource(settings: {
  secret?: string | undefined;
  jwksUrl?: string | undefined;
}): TokenKeySource {
  const { secret, jwksUrl } = settings;
  if (jwksUrl !== undefined) return secret === undefined ? { jwksUrl } : { jwksUrl, secret };
  if (secret !== undefined) return { secret };
  throw new Error("a token verifier needs JWT_SECRET or JWT_JWKS_URL");
}

// The verifier a service builds from its auth settings (packages/config's commonConfigShape and
// authConfigShape): our HS256 secret, an identity provider's key set, or both.
export function tokenVerifierFromConfig(config: {
  JWT_SECRET?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
  JWT_ALGORITHMS: readonly JwksAlgorithm[];
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
}): TokenVerifier {
  return createTokenVerifier({
    ...tokenKeySource({ secret: config.JWT_SECRET, jwksUrl: config.JWT_JWKS_URL }),
    algorithms: config.JWT_ALGORITHMS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
}
