import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '../../src/auth/roles.js';
import { DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, secretKey, signToken } from '../../src/auth/token-signer.js';

/** Tokens made with the same signing code as `npm run token`. */
export class TestTokens {
  readonly key: KeyObject;

  constructor(
    readonly secret: string,
    readonly issuer: string = DEFAULT_JWT_ISSUER,
    readonly audience: string = DEFAULT_JWT_AUDIENCE,
  ) {
    this.key = secretKey(secret);
  }

  for(role: Role, sub = `${role}-1`, ttl: string | number = '1h'): string {
    return signToken(this.key, { sub, roles: [role], ttl, issuer: this.issuer, audience: this.audience });
  }

  get admin(): string {
    return this.for('admin', 'admin-1');
  }
  get service(): string {
    return this.for('service', 'service-1');
  }
  user(sub = 'user-1'): string {
    return this.for('user', sub);
  }

  expired(role: Role = 'admin'): string {
    return this.claims({ roles: [role], sub: 'late', exp: Math.floor(Date.now() / 1000) - 60 });
  }

  /**
   * Signed with the right key; `iss`, `aud` and `iat` as a well-formed token has them unless
   * `payload` overrides them (a key set to undefined is left out).
   */
  claims(payload: Record<string, unknown>): string {
    const now = Math.floor(Date.now() / 1000);
    const full: Record<string, unknown> = { iss: this.issuer, aud: this.audience, iat: now, exp: now + 3600, ...payload };
    for (const [name, value] of Object.entries(full)) if (value === undefined) delete full[name];
    return jwt.sign(full, this.key, { algorithm: 'HS256', noTimestamp: true });
  }

  signedWithOtherKey(role: Role = 'admin'): string {
    return signToken(secretKey('another-secret-that-is-long-enough-0123456789'), { sub: 'mallory', roles: [role], issuer: this.issuer, audience: this.audience });
  }

  /** An unsigned token (`alg: none`) claiming admin. */
  unsigned(): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', roles: ['admin'], iss: this.issuer, aud: this.audience, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
  }
}
