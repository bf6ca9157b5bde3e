import { DomainError } from '../common/errors/domain-error.js';

export class AuthError extends DomainError {
  static missingToken(): AuthError {
    return new AuthError('AUTH_REQUIRED', 'A bearer token is required (Authorization: Bearer <token>)');
  }
  static expiredToken(): AuthError {
    return new AuthError('TOKEN_EXPIRED', 'The bearer token has expired');
  }
  static invalidToken(reason: string): AuthError {
    return new AuthError('TOKEN_INVALID', `The bearer token is not valid: ${reason}`);
  }
  static crossSiteWrite(reason: string): AuthError {
    return new AuthError('CSRF_REJECTED', `Refused: ${reason}. Send the token as Authorization: Bearer, or write from the dashboard's own pages`);
  }
  /** An OpenID provider token while the provider's keys cannot be had: retry later (503, not 401: the token may be fine). */
  static providerUnavailable(): AuthError {
    return new AuthError('IDENTITY_PROVIDER_UNAVAILABLE', "The identity provider's signing keys cannot be fetched right now; retry shortly");
  }
  static forbidden(required: readonly string[]): AuthError {
    return new AuthError('FORBIDDEN_ROLE', `This operation requires one of the roles: ${required.join(', ')}`);
  }
}
