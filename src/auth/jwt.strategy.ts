import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import type { AuthUser } from './roles.js';
import { JWT_ALGORITHM, secretKey } from './token-signer.js';
import { AuthError } from './auth.errors.js';
import { authUserFromClaims, localRoles, providerRoles, type ClaimsPolicy } from './claims.js';
import { OIDC_ALGORITHMS, OidcKeys } from './oidc-keys.js';
import { tokenFromRequest } from './request-token.js';

// The typings say string | Buffer, but passport-jwt hands the key to jsonwebtoken untouched, which takes KeyObjects.
type KeyCallback = (error: unknown, key?: string | Buffer) => void;
const asKey = (key: KeyObject) => key as unknown as Buffer;

/**
 * passport-jwt with a key provider. A token whose (not yet verified) `iss` is OIDC_ISSUER is
 * checked with the provider's public key for its `kid` (RS256/ES256); every other token with the
 * local HS256 secret. jsonwebtoken then verifies the signature and expiry with that key, and
 * `validate` applies the matching issuer's policy (iss, aud, lifetime, sub, roles) to the verified
 * claims: a token signed by one issuer can never pass as the other's.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly local: ClaimsPolicy;
  private readonly provider: ClaimsPolicy | null;

  constructor(config: AppConfig, oidcKeys: OidcKeys) {
    if (!config.jwtSecret) throw new Error('the JWT secret must be resolved before the app module is created');
    // A KeyObject is what keeps HS256 verification fast (see token-signer.ts).
    const localKey = secretKey(config.jwtSecret);
    const oidcIssuer = oidcKeys.issuer;
    super({
      jwtFromRequest: (request: Parameters<typeof tokenFromRequest>[0]) => {
        const read = tokenFromRequest(request);
        return read.kind === 'token' ? read.token : null;
      },
      secretOrKeyProvider: oidcIssuer
        ? (_request: unknown, rawToken: string, done: KeyCallback) => {
            keyFor(rawToken, localKey, oidcIssuer, oidcKeys).then((key) => done(null, asKey(key)), done);
          }
        : (_request: unknown, _rawToken: string, done: KeyCallback) => done(null, asKey(localKey)),
      algorithms: oidcIssuer ? [JWT_ALGORITHM, ...OIDC_ALGORITHMS] : [JWT_ALGORITHM],
      ignoreExpiration: false,
    });
    this.local = { issuer: config.jwtIssuer, audience: config.jwtAudience, maxTtlSeconds: config.jwtMaxTtlSeconds, roles: localRoles, rolesClaim: 'roles' };
    const oidc = config.oidc;
    this.provider = oidc
      ? { issuer: oidc.issuer, audience: oidc.audience, maxTtlSeconds: config.jwtMaxTtlSeconds, roles: providerRoles(oidc.rolesClaim, oidc.roleMap), rolesClaim: oidc.rolesClaim }
      : null;
  }

  validate(payload: Record<string, unknown>): AuthUser {
    // The key was chosen by `iss`, so after the signature check `iss` says which policy applies.
    const policy = this.provider && payload.iss === this.provider.issuer ? this.provider : this.local;
    return authUserFromClaims(payload, policy);
  }
}

/** The key a token must verify with, chosen by its unverified `iss` (and `kid` for the provider). */
async function keyFor(rawToken: string, localKey: KeyObject, oidcIssuer: string, oidcKeys: OidcKeys): Promise<KeyObject> {
  const [headerPart, payloadPart] = rawToken.split('.', 2);
  const header = decodeSegment(headerPart!);
  const payload = decodeSegment(payloadPart!);
  if (!header || !payload) throw AuthError.invalidToken('jwt malformed');
  if (payload.iss !== oidcIssuer) {
    if (header.alg !== JWT_ALGORITHM) throw AuthError.invalidToken(`tokens not issued by the identity provider must be ${JWT_ALGORITHM}`);
    return localKey;
  }
  if (!(OIDC_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
    throw AuthError.invalidToken(`identity provider tokens must be signed with ${OIDC_ALGORITHMS.join(' or ')}`);
  }
  return oidcKeys.keyFor(header);
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
