import { Injectable } from '@nestjs/common';
import { AppConfig, OIDC_CALLBACK_PATH, type OidcSignInConfig } from '../config/app-config.js';
import { AuthError } from './auth.errors.js';
import { Authenticator } from './authenticator.js';
import {
  authorizationUrl,
  LoginTransactionSealer,
  newLoginTransaction,
  sameState,
  type LoginTransaction,
} from './oidc-login-transaction.js';
import { OidcKeys } from './oidc-keys.js';
import type { AuthUser } from './roles.js';
import { describeError } from '../common/logging/describe-error.js';

const TOKEN_REQUEST_TIMEOUT_MS = 5000;

/** What the provider's redirect to the callback carries (RFC 6749 §4.1.2, RFC 9207 `iss`). */
export interface CallbackQuery {
  code?: unknown;
  state?: unknown;
  error?: unknown;
  error_description?: unknown;
  iss?: unknown;
}

export interface SignedIn {
  user: AuthUser;
  /** The provider's access token, verified like any bearer token: it becomes the session. */
  token: string;
}

/**
 * The dashboard's sign-in through the OpenID provider: authorization code flow with PKCE (S256),
 * as a confidential client when OIDC_CLIENT_SECRET is set. The service sends the browser on to
 * the provider, redeems the code itself (the code and the tokens never reach page scripts) and
 * verifies the access token with the same verifier as every API request (signature by the
 * provider's key, iss, aud, exp, roles) before it becomes the session cookie.
 */
@Injectable()
export class OidcSignIn {
  private readonly signIn: OidcSignInConfig | null;
  private readonly issuer: string | null;
  private readonly sealer: LoginTransactionSealer;

  constructor(
    config: AppConfig,
    private readonly keys: OidcKeys,
    private readonly authenticator: Authenticator,
  ) {
    this.signIn = config.oidc?.signIn ?? null;
    this.issuer = config.oidc?.issuer ?? null;
    if (!config.jwtSecret) throw new Error('the JWT secret must be resolved before the app module is created');
    this.sealer = new LoginTransactionSealer(config.jwtSecret);
  }

  /** The provider's name for the sign-in button, or null when people sign in with tokens. */
  get providerName(): string | null {
    return this.signIn?.providerName ?? null;
  }

  /** Where the browser goes to sign in, and the sealed transaction for its login cookie. */
  start(origin: string): { location: string; sealed: string } {
    const signIn = this.configured();
    const endpoints = this.keys.endpoints;
    if (!endpoints) throw AuthError.providerUnreachable(`its discovery document at ${this.issuer}/.well-known/openid-configuration has not been read yet`);
    const transaction = newLoginTransaction(signIn.redirectUri ?? `${origin}${OIDC_CALLBACK_PATH}`);
    const location = authorizationUrl({ endpoint: endpoints.authorization, clientId: signIn.clientId, scopes: signIn.scopes, extraParams: signIn.authorizeParams }, transaction);
    return { location, sealed: this.sealer.seal(transaction) };
  }

  /**
   * Checks the callback against this browser's sign-in, redeems the code with the verifier and
   * verifies the token. `sealed` is the login cookie (null without one).
   */
  async finish(query: CallbackQuery, sealed: string | null): Promise<SignedIn> {
    const signIn = this.configured();
    const transaction = sealed ? this.sealer.open(sealed) : null;
    if (!transaction) throw AuthError.signInExpired();
    if (!sameState(transaction.state, query.state)) throw AuthError.stateMismatch();
    if (query.iss !== undefined && query.iss !== this.issuer) throw AuthError.signInRefused('wrong issuer', `the answer names ${printable(query.iss)}, not ${this.issuer}`);
    if (query.error !== undefined) throw AuthError.signInRefused(printable(query.error), query.error_description === undefined ? null : printable(query.error_description));
    if (typeof query.code !== 'string' || query.code.length === 0 || query.code.length > 4096) throw AuthError.signInRefused('no code', 'the answer carries no authorization code');
    const token = await this.redeem(signIn, transaction, query.code);
    const user = await this.authenticator.authenticate({ headers: { authorization: `Bearer ${token}` } });
    if (user.claims.iss !== this.issuer) throw AuthError.invalidToken("the token from the identity provider's token endpoint was not issued by it");
    return { user, token };
  }

  private configured(): OidcSignInConfig {
    if (!this.signIn) throw AuthError.signInNotConfigured();
    return this.signIn;
  }

  /** The authorization code → the provider's access token (token endpoint, with the PKCE verifier). */
  private async redeem(signIn: OidcSignInConfig, transaction: LoginTransaction, code: string): Promise<string> {
    const endpoints = this.keys.endpoints;
    if (!endpoints) throw AuthError.providerUnreachable('its discovery document has not been read');
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: transaction.redirectUri, code_verifier: transaction.verifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (signIn.clientSecret !== null) {
      // client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded first).
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(signIn.clientId)}:${encodeURIComponent(signIn.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', signIn.clientId);
    }
    let response: Response;
    let body: { access_token?: unknown; token_type?: unknown; error?: unknown; error_description?: unknown };
    try {
      response = await fetch(endpoints.token, { method: 'POST', headers, body: form, redirect: 'error', signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS) });
      body = (await response.json().catch(() => ({}))) as typeof body;
    } catch (error) {
      throw AuthError.providerUnreachable(`its token endpoint: ${describeError(error)}`);
    }
    if (response.status >= 500) throw AuthError.providerUnreachable(`its token endpoint answered ${response.status}`);
    if (response.status !== 200) {
      throw AuthError.codeRejected(typeof body.error === 'string' ? printable(body.error) : `HTTP ${response.status}`, typeof body.error_description === 'string' ? printable(body.error_description) : null);
    }
    if (typeof body.access_token !== 'string' || (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer')) {
      throw AuthError.invalidToken("the identity provider's token endpoint answered without a bearer access token");
    }
    return body.access_token;
  }
}

/** Text from the provider or the query string, safe to log and show: printable ASCII, at most 200 characters. */
function printable(value: unknown): string {
  return String(value).replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
