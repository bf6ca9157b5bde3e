import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authorizationUrl,
  codeChallenge,
  LOGIN_TTL_SECONDS,
  loginCookieOf,
  LoginTransactionSealer,
  newLoginTransaction,
  sameState,
} from './oidc-login-transaction.js';

const SECRET = 'a-jwt-secret-of-at-least-thirty-two-characters';

describe('OIDC login transaction', () => {
  it('PKCE S256: the challenge is BASE64URL(SHA256(verifier)) (RFC 7636 appendix B)', () => {
    expect(codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const { verifier, state } = newLoginTransaction('https://ab.example/api/v1/auth/oidc/callback');
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, within RFC 7636's 43–128 characters
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newLoginTransaction('x').verifier).not.toBe(verifier);
  });

  it('builds the authorization URL: extra parameters kept, the service’s own always win', () => {
    const transaction = newLoginTransaction('https://ab.example/api/v1/auth/oidc/callback');
    const url = new URL(
      authorizationUrl(
        { endpoint: 'https://login.example/authorize?tenant=x', clientId: 'dash', scopes: 'openid api', extraParams: { audience: 'https://model-ab', prompt: 'login' } },
        transaction,
      ),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'x',
      audience: 'https://model-ab',
      prompt: 'login',
      response_type: 'code',
      client_id: 'dash',
      redirect_uri: 'https://ab.example/api/v1/auth/oidc/callback',
      scope: 'openid api',
      state: transaction.state,
      code_challenge: createHash('sha256').update(transaction.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
  });

  it('seals and opens a transaction; another secret, a changed byte, junk or an old one open to null', () => {
    const sealer = new LoginTransactionSealer(SECRET);
    const now = Date.UTC(2026, 11, 2, 12);
    const transaction = newLoginTransaction('https://ab.example/api/v1/auth/oidc/callback', now);
    const sealed = sealer.seal(transaction);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(transaction.state);
    expect(sealer.open(sealed, now + 1000)).toEqual(transaction);
    expect(new LoginTransactionSealer(SECRET).open(sealed, now)).toEqual(transaction); // another instance, same secret
    expect(new LoginTransactionSealer(`${SECRET}!`).open(sealed, now)).toBeNull();
    const raw = Buffer.from(sealed, 'base64url');
    for (const at of [0, 12, 20, raw.length - 1]) {
      const changed = Buffer.from(raw);
      changed[at]! ^= 1;
      expect(sealer.open(changed.toString('base64url'), now), `byte ${at}`).toBeNull();
    }
    expect(sealer.open('', now)).toBeNull();
    expect(sealer.open('not base64!', now)).toBeNull();
    expect(sealer.open('x'.repeat(3000), now)).toBeNull();
    expect(sealer.open(sealed, now + LOGIN_TTL_SECONDS * 1000)).toEqual(transaction);
    expect(sealer.open(sealed, now + LOGIN_TTL_SECONDS * 1000 + 1)).toBeNull();
    expect(sealer.open(sealed, now - 61_000)).toBeNull(); // from the future
  });

  it('compares states exactly', () => {
    expect(sameState('abc', 'abc')).toBe(true);
    expect(sameState('abc', 'abd')).toBe(false);
    expect(sameState('abc', 'abcd')).toBe(false);
    expect(sameState('abc', ['abc'])).toBe(false);
    expect(sameState('abc', undefined)).toBe(false);
  });

  it('reads the login cookie among others', () => {
    expect(loginCookieOf('a=1; model_ab_oidc_login=xyz; b=2')).toBe('xyz');
    expect(loginCookieOf(['a=1', 'model_ab_oidc_login=xyz'])).toBe('xyz');
    expect(loginCookieOf('model_ab_oidc_login=')).toBeNull();
    expect(loginCookieOf('model_ab_oidc_login_other=1')).toBeNull();
    expect(loginCookieOf(undefined)).toBeNull();
  });
});
