// Tokens from an identity provider: its key set served over HTTP (as an OIDC provider's jwks_uri),
// tokens signed with generated RS256 and ES256 keys. A wrong issuer, audience or algorithm, or a key
// the set does not hold, is unauthenticated.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isAppError } from "@stockroom/errors";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenIssuer, createTokenVerifier, type TokenVerifier } from "../src/index.ts";

const issuer = "https://idp.example.test/";
const audience = "stockroom-api";
const secret = "service-secret-for-jwks-tests-0123456789";

interface SigningKey {
  alg: "RS256" | "ES256" | "PS256";
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(alg: SigningKey["alg"], kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

let server: Server;
let jwksUrl: string;
let requests = 0;
let rsa: SigningKey;
let ec: SigningKey;
let ps: SigningKey;
let stranger: SigningKey;

beforeAll(async () => {
  [rsa, ec, ps, stranger] = await Promise.all([
    signingKey("RS256", "rsa-1"),
    signingKey("ES256", "ec-1"),
    signingKey("PS256", "ps-1"),
    signingKey("RS256", "rsa-1"),
  ]);
  const body = JSON.stringify({ keys: [rsa.jwk, ec.jwk, ps.jwk] });
  server = createServer((req, res) => {
    requests++;
    if (req.url !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function sign(key: SigningKey, claims: { iss?: string; aud?: string; sub?: string } = {}): Promise<string> {
  return new SignJWT({ roles: ["ops"] })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setSubject(claims.sub ?? "user-1")
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key.privateKey);
}

async function refusal(verifier: TokenVerifier, token: string) {
  const err = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(err) && err.kind).toBe("unauthenticated");
}

describe("a remote JWKS", () => {
  it("verifies RS256 and ES256 tokens from the provider's key set", async () => {
    const verifier = createTokenVerifier({ jwksUrl, issuer, audience, cacheMaxTokens: 0 });
    expect(await verifier.verify(await sign(rsa))).toEqual({ subject: "user-1", roles: ["ops"] });
    expect(await verifier.verify(await sign(ec, { sub: "user-2" }))).toEqual({
      subject: "user-2",
      roles: ["ops"],
    });
    expect(requests).toBeGreaterThan(0);
  });

  it("refuses a wrong issuer, a wrong audience, an algorithm not allowed and a key not in the set", async () => {
    const verifier = createTokenVerifier({ jwksUrl, issuer, audience, cacheMaxTokens: 0 });
    await refusal(verifier, await sign(rsa, { iss: "https://evil.example.test/" }));
    await refusal(verifier, await sign(ec, { aud: "another-api" }));
    // PS256 is in the set but not among the algorithms allowed by default (RS256, ES256).
    await refusal(verifier, await sign(ps));
    await refusal(verifier, await sign(stranger));
    // An HS256 token, with no secret configured, is refused whatever it is signed with.
    await refusal(
      verifier,
      await createTokenIssuer({ secret, issuer, audience }).issue({ subject: "s", roles: ["ops"] }),
    );
  });

  it("accepts only the algorithms configured", async () => {
    const verifier = createTokenVerifier({
      jwksUrl,
      issuer,
      audience,
      algorithms: ["ES256"],
      cacheMaxTokens: 0,
    });
    await refusal(verifier, await sign(rsa));
    expect((await verifier.verify(await sign(ec))).subject).toBe("user-1");
  });

  it("with a secret as well, verifies our services' HS256 tokens by it and the provider's by the set", async () => {
    const verifier = createTokenVerifier({ jwksUrl, secret, issuer, audience, cacheMaxTokens: 0 });
    const service = await createTokenIssuer({ secret, issuer, audience }).issue({
      subject: "catalog",
      roles: ["service"],
    });
    expect((await verifier.verify(service)).subject).toBe("catalog");
    expect((await verifier.verify(await sign(rsa))).subject).toBe("user-1");
    const forged = await createTokenIssuer({ secret: `${secret}-other`, issuer, audience }).issue({
      subject: "catalog",
      roles: ["admin"],
    });
    await refusal(verifier, forged);
  });
});
