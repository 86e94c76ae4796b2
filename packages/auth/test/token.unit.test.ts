import { isAppError } from "@stockroom/errors";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createTokenIssuer, createTokenVerifier } from "../src/index.ts";

const secret = "test-secret-that-is-at-least-32-bytes-long";
const issuer = "stockroom-test";
const audience = "stockroom";

async function expectUnauthenticated(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(err) && err.kind).toBe("unauthenticated");
}

describe("HS256 issuer and verifier", () => {
  const issue = createTokenIssuer({ secret, issuer, audience });
  const verifier = createTokenVerifier({ secret, issuer, audience });

  it("round-trips subject and roles", async () => {
    const token = await issue.issue({ subject: "ops-1", roles: ["ops", "admin"] });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: "ops-1", roles: ["ops", "admin"] });
  });

  it("drops unknown role names", async () => {
    const token = await new SignJWT({ roles: ["ops", "root"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("x")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(token)).resolves.toEqual({ subject: "x", roles: ["ops"] });
  });

  it("rejects a token signed with another secret", async () => {
    const other = createTokenIssuer({ secret: `${secret}-other`, issuer, audience });
    await expectUnauthenticated(verifier.verify(await other.issue({ subject: "x", roles: ["admin"] })));
  });

  it("rejects wrong issuer and wrong audience", async () => {
    const wrongIssuer = createTokenIssuer({ secret, issuer: "evil", audience });
    const wrongAudience = createTokenIssuer({ secret, issuer, audience: "other" });
    await expectUnauthenticated(verifier.verify(await wrongIssuer.issue({ subject: "x", roles: ["ops"] })));
    await expectUnauthenticated(verifier.verify(await wrongAudience.issue({ subject: "x", roles: ["ops"] })));
  });

  it("rejects an expired token", async () => {
    const token = await issue.issue({ subject: "x", roles: ["ops"], ttlSec: -60 });
    await expectUnauthenticated(verifier.verify(token));
  });

  it("rejects garbage, empty and alg=none tokens", async () => {
    await expectUnauthenticated(verifier.verify("not-a-jwt"));
    await expectUnauthenticated(verifier.verify(""));
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const body = Buffer.from(
      JSON.stringify({ sub: "x", roles: ["admin"], iss: issuer, aud: audience, exp: 9e9 }),
    ).toString("base64url");
    await expectUnauthenticated(verifier.verify(`${header}.${body}.`));
  });

  it("rejects a token without expiry", async () => {
    const token = await new SignJWT({ roles: ["ops"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("x")
      .setIssuer(issuer)
      .setAudience(audience)
      .sign(new TextEncoder().encode(secret));
    await expectUnauthenticated(verifier.verify(token));
  });

  it("remembers a verified token only until it expires", async () => {
    const strict = createTokenVerifier({ secret, issuer, audience, clockToleranceSec: 0 });
    const token = await issue.issue({ subject: "x", roles: ["ops"], ttlSec: 2 });
    await expect(strict.verify(token)).resolves.toEqual({ subject: "x", roles: ["ops"] });
    await expect(strict.verify(token)).resolves.toEqual({ subject: "x", roles: ["ops"] });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expectUnauthenticated(strict.verify(token));
  });

  it("never remembers a failure, and a tampered copy of a remembered token still fails", async () => {
    const token = await issue.issue({ subject: "x", roles: ["ops"] });
    await verifier.verify(token);
    const [header, body] = token.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: "x", roles: ["admin"], iss: issuer, aud: audience, exp: 9e9 })).toString("base64url")}.${token.split(".")[2]}`;
    expect(forged).not.toBe(`${header}.${body}.${token.split(".")[2]}`);
    await expectUnauthenticated(verifier.verify(forged));
    await expectUnauthenticated(verifier.verify(forged));
  });

  it("refuses a short secret at construction", () => {
    expect(() => createTokenVerifier({ secret: "short", issuer, audience })).toThrow(/at least 32 bytes/);
    expect(() => createTokenIssuer({ secret: "short", issuer, audience })).toThrow(/at least 32 bytes/);
  });
});

describe("JWKS verifier", () => {
  it("verifies an ES256 token against a local key set and rejects HS256", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    const verifier = createTokenVerifier({ jwks: { keys: [jwk] }, issuer, audience });
    const token = await new SignJWT({ roles: ["service"] })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("svc-order")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect(verifier.verify(token)).resolves.toEqual({ subject: "svc-order", roles: ["service"] });
    const hs = await createTokenIssuer({ secret, issuer, audience }).issue({
      subject: "x",
      roles: ["admin"],
    });
    await expectUnauthenticated(verifier.verify(hs));
  });
});
