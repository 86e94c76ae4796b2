// Verifies bearer JWTs (HS256 shared secret, or a JWKS for asymmetric keys) into a Principal.
// Every failure becomes an `unauthenticated` AppError with no detail of why, so callers cannot probe.
import { unauthenticated } from "@stockroom/errors";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
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
};

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const verifyJwt = buildJwtVerify(options);
  return {
    async verify(token: string): Promise<Principal> {
      if (token.length === 0) throw unauthenticated("missing bearer token");
      let payload: JWTPayload;
      try {
        payload = await verifyJwt(token);
      } catch (err) {
        throw unauthenticated("invalid bearer token", undefined, err);
      }
      return principalFromPayload(payload);
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
