import { api, unwrap, type Caller, type Me } from './api';

/** Exchanges a token for the session cookie (the token travels once, as a bearer header). */
export async function signIn(token: string): Promise<Me> {
  return unwrap(await api.POST('/api/v1/auth/session', { headers: { authorization: `Bearer ${token}` } }));
}

export async function signOut(): Promise<void> {
  unwrap(await api.DELETE('/api/v1/auth/session'));
}

/** The signed-in caller, or null without a (valid) session; never a 401 in the console. */
export async function currentUser(): Promise<Caller | null> {
  const status = unwrap(await api.GET('/api/v1/auth/session'));
  return status.signed_in && status.sub ? { sub: status.sub, roles: status.roles } : null;
}

export interface SignInOptions {
  /** The identity provider to sign in with (its name), or null: tokens only. */
  provider: string | null;
  url: string | null;
}

/** Whether /login offers the identity provider (OIDC_CLIENT_ID set on the server). */
export async function signInOptions(): Promise<SignInOptions> {
  const status = unwrap(await api.GET('/api/v1/auth/session'));
  return { provider: status.provider, url: status.provider_sign_in_url };
}
