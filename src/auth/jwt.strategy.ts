import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { AuthUser, isRole } from './roles.js';
import { JWT_ALGORITHM, secretKey } from './token-signer.js';
import { AuthError } from './auth.errors.js';
import { tokenFromSessionCookie } from './session-cookie.js';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    if (!config.jwtSecret) throw new Error('the JWT secret must be resolved before the app module is created');
    super({
      // The Authorization header first; the dashboard's session cookie otherwise.
      jwtFromRequest: ExtractJwt.fromExtractors([ExtractJwt.fromAuthHeaderAsBearerToken(), tokenFromSessionCookie]),
      // The typings say string | Buffer, but passport-jwt hands the key to jsonwebtoken untouched,
      // and a KeyObject is what keeps HS256 verification fast (see token-signer.ts).
      secretOrKey: secretKey(config.jwtSecret) as unknown as Buffer,
      algorithms: [JWT_ALGORITHM],
      ignoreExpiration: false,
    });
  }

  validate(payload: Record<string, unknown>): AuthUser {
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
      throw AuthError.invalidToken('the token has no usable "sub" claim');
    }
    const roles = payload.roles;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw AuthError.invalidToken('the token\'s "roles" claim must be a non-empty list of admin, service or user');
    }
    return { sub, roles, claims: payload };
  }
}
