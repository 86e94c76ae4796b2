export { assertCompletePolicy, authorize, type MethodPolicy, type Policy } from "./policy.ts";
export { isRole, type Principal, ROLES, type Role } from "./roles.ts";
export {
  createTokenIssuer,
  type IssueTokenInput,
  type TokenIssuer,
  type TokenIssuerOptions,
} from "./token-issuer.ts";
export {
  createTokenVerifier,
  JWKS_ALGORITHMS,
  type JwksAlgorithm,
  type TokenKeySource,
  type TokenVerifier,
  type TokenVerifierOptions,
  tokenKeySource,
  tokenVerifierFromConfig,
} from "./token-verifier.ts";
