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
  /** The dashboard's sign-in routes while OIDC_CLIENT_ID is not set. */
  static signInNotConfigured(): AuthError {
    return new AuthError('OIDC_SIGN_IN_NOT_CONFIGURED', 'Sign-in through an identity provider is not configured (OIDC_ISSUER and OIDC_CLIENT_ID); sign in with a token at /login');
  }
  /** The callback came to a browser that has no sign-in in progress (no, changed or expired login cookie: no code_verifier). */
  static signInExpired(): AuthError {
    return new AuthError(
      'OIDC_SIGN_IN_EXPIRED',
      'No sign-in is in progress in this browser (it was not started here, already finished, or took longer than 10 minutes); start again at /login',
    );
  }
  static stateMismatch(): AuthError {
    return new AuthError('OIDC_STATE_MISMATCH', "The identity provider's answer does not belong to the sign-in this browser started (state mismatch); start again at /login");
  }
  /** The provider answered the authorization request with an error (the person declined, no session, …). */
  static signInRefused(error: string, description: string | null): AuthError {
    return new AuthError('OIDC_SIGN_IN_REFUSED', `The identity provider did not sign you in: ${error}${description ? ` (${description})` : ''}`, { error });
  }
  /** The token endpoint refused the code (used before, expired, or the code_verifier does not match). */
  static codeRejected(error: string, description: string | null): AuthError {
    return new AuthError(
      'OIDC_CODE_REJECTED',
      `The identity provider refused the sign-in code: ${error}${description ? ` (${description})` : ''}; start again at /login`,
      { error },
    );
  }
  /** The provider could not be reached to sign someone in (discovery, or the token endpoint). */
  static providerUnreachable(what: string): AuthError {
    return new AuthError('IDENTITY_PROVIDER_UNAVAILABLE', `The identity provider cannot be reached (${what}); retry shortly`);
  }
  /** A `user` token asked to act for someone else (only service and admin tokens may pass user_id). */
  static forbiddenUserId(): AuthError {
    return new AuthError('FORBIDDEN_USER_ID', 'A user token can only act for itself; user_id needs a service or admin token');
  }
  static forbidden(required: readonly string[]): AuthError {
    return new AuthError('FORBIDDEN_ROLE', `This operation requires one of the roles: ${required.join(', ')}`);
  }
}
