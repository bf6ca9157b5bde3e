import { KeyObject } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, errors, type JWTHeaderParameters } from 'jose';
import { AppConfig, type OidcConfig } from '../config/app-config.js';
import { AuthError } from './auth.errors.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { describeError } from '../common/logging/describe-error.js';

/** Signature algorithms accepted from the provider (never HS*: its keys are public). */
export const OIDC_ALGORITHMS = ['RS256', 'ES256'] as const;

/** Keys are re-read in the background this often (rotation with overlap needs no request to wait). */
const REFRESH_MS = 10 * 60_000;
/** Discovery retries back off from 1 s up to this while the provider is unreachable. */
const MAX_RETRY_MS = 30_000;
const FETCH_TIMEOUT_MS = 5000;

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** Where people sign in at the provider (from its discovery document). */
export interface ProviderEndpoints {
  authorization: string;
  token: string;
}

/**
 * The OpenID provider's signing keys (jose's remote JWK set): discovered from
 * `<issuer>/.well-known/openid-configuration` at start, re-read every 10 minutes in the background,
 * and re-read on a token with an unknown `kid` at most once per OIDC_JWKS_REFRESH_COOLDOWN. Nothing
 * is fetched on the request path otherwise. While the provider has never answered, provider tokens
 * get 503 IDENTITY_PROVIDER_UNAVAILABLE and discovery is retried in the background.
 */
@Injectable()
export class OidcKeys implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('OIDC');
  private readonly oidc: OidcConfig | null;
  private keySet: RemoteKeySet | null = null;
  private discovered: ProviderEndpoints | null = null;
  /** KeyObjects for jsonwebtoken, made once per imported key. */
  private readonly keyObjects = new WeakMap<object, KeyObject>();
  private timer: NodeJS.Timeout | null = null;
  private retryMs = 1000;
  private stopped = false;
  private readonly cooldownMs: number;
  private lastJwksFetch = 0;

  constructor(
    config: AppConfig,
    private readonly verifiedTokens: VerifiedTokenCache,
  ) {
    this.oidc = config.oidc;
    this.cooldownMs = config.oidcJwksCooldownSeconds * 1000;
  }

  /** One discovery attempt before the app serves (bounded by the fetch timeouts); on failure, retries go on in the background. */
  async onModuleInit(): Promise<void> {
    if (this.oidc) await this.discover(this.cooldownMs);
  }

  get enabled(): boolean {
    return this.oidc !== null;
  }

  get issuer(): string | null {
    return this.oidc?.issuer ?? null;
  }

  /** The provider's authorization and token endpoints; null until discovery has succeeded. */
  get endpoints(): ProviderEndpoints | null {
    return this.discovered;
  }

  /** The public key for a provider token's header; throws AuthError (401 unknown key, 503 provider unreachable). */
  async keyFor(header: { alg?: unknown; kid?: unknown }): Promise<KeyObject> {
    const keySet = this.keySet;
    if (!keySet) throw AuthError.providerUnavailable();
    let key: object;
    const fetchedBefore = this.lastJwksFetch;
    try {
      key = await keySet(header as JWTHeaderParameters);
      // jose re-read the keys for an unknown kid: the set may have lost keys too.
      if (this.lastJwksFetch !== fetchedBefore) this.verifiedTokens.clear();
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw AuthError.invalidToken("the identity provider has no signing key with this token's \"kid\"");
      }
      if (error instanceof errors.JOSENotSupported) throw AuthError.invalidToken('the token names a key type or algorithm this service does not accept');
      this.log.warn(`re-reading the provider's keys failed: ${describeError(error)}`);
      throw AuthError.providerUnavailable();
    }
    let keyObject = this.keyObjects.get(key);
    if (!keyObject) {
      keyObject = key instanceof KeyObject ? key : KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
      this.keyObjects.set(key, keyObject);
    }
    return keyObject;
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async discover(cooldownMs: number): Promise<void> {
    const issuer = this.oidc!.issuer;
    try {
      const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (response.status !== 200) throw new Error(`discovery answered ${response.status}`);
      const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown; authorization_endpoint?: unknown; token_endpoint?: unknown };
      if (document.issuer !== issuer) throw new Error(`discovery names the issuer ${JSON.stringify(document.issuer)}, not OIDC_ISSUER ${JSON.stringify(issuer)}`);
      if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
      const endpoints =
        typeof document.authorization_endpoint === 'string' && typeof document.token_endpoint === 'string'
          ? { authorization: document.authorization_endpoint, token: document.token_endpoint }
          : null;
      if (!endpoints && this.oidc!.signIn) throw new Error('discovery has no authorization_endpoint or token_endpoint (needed for the dashboard sign-in, OIDC_CLIENT_ID)');
      const keySet = createRemoteJWKSet(new URL(document.jwks_uri), {
        cacheMaxAge: Infinity, // re-read by the background refresh, never on the request path
        cooldownDuration: cooldownMs,
        timeoutDuration: FETCH_TIMEOUT_MS,
        [customFetch]: (url: string, init: RequestInit) => this.limitedFetch(url, init),
      });
      await keySet.reload();
      this.keySet = keySet;
      this.discovered = endpoints;
      this.verifiedTokens.clear();
      this.retryMs = 1000;
      this.log.log(`signing keys of ${issuer} loaded from ${document.jwks_uri}`);
      this.schedule(REFRESH_MS, () => this.refresh(keySet));
    } catch (error) {
      this.log.warn(`the identity provider ${issuer} is not reachable (${describeError(error)}); its tokens get 503 until it is; retrying in ${this.retryMs / 1000} s`);
      const retryMs = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.schedule(retryMs, () => this.discover(cooldownMs));
    }
  }

  /**
   * jose re-reads on an unknown kid at most once per cooldown after a *successful* read; this also
   * spaces out attempts after a failed one, so tokens with made-up kids cannot make this service
   * hammer a provider that is down (they get 503 meanwhile).
   */
  private limitedFetch(url: string, init: RequestInit): Promise<Response> {
    const now = Date.now();
    if (now - this.lastJwksFetch < this.cooldownMs) return Promise.reject(new Error('the last attempt to read the keys was too recent'));
    this.lastJwksFetch = now;
    // Dropped now and again once the new set is installed (discover, refresh, keyFor): a verification
    // that started in between is not remembered.
    this.verifiedTokens.clear();
    return fetch(url, init);
  }

  private async refresh(keySet: RemoteKeySet): Promise<void> {
    try {
      await keySet.reload();
      // A key the provider dropped must stop vouching for tokens verified with it.
      this.verifiedTokens.clear();
    } catch (error) {
      this.log.warn(`refreshing the provider's keys failed (${describeError(error)}); keeping the keys already loaded`);
    }
    this.schedule(REFRESH_MS, () => this.refresh(keySet));
  }

  private schedule(ms: number, task: () => Promise<void>): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void task(), ms);
    this.timer.unref();
  }
}
