import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '../../src/auth/roles.js';
import { secretKey, signToken } from '../../src/auth/token-signer.js';

/** Tokens made with the same signing code as `npm run token`. */
export class TestTokens {
  readonly key: KeyObject;

  constructor(readonly secret: string) {
    this.key = secretKey(secret);
  }

  for(role: Role, sub = `${role}-1`, ttl: string | number = '1h'): string {
    return signToken(this.key, { sub, roles: [role], ttl });
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
    return jwt.sign({ roles: [role], sub: 'late', exp: Math.floor(Date.now() / 1000) - 60 }, this.key, { algorithm: 'HS256' });
  }

  signedWithOtherKey(role: Role = 'admin'): string {
    return signToken(secretKey('another-secret-that-is-long-enough-0123456789'), { sub: 'mallory', roles: [role] });
  }

  /** An unsigned token (`alg: none`) claiming admin. */
  unsigned(): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
  }
}
