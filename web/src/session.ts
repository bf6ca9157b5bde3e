import { api, unwrap, type Me } from './api';

/** Exchanges a token for the session cookie (the token travels once, as a bearer header). */
export async function signIn(token: string): Promise<Me> {
  return unwrap(await api.POST('/api/v1/auth/session', { headers: { authorization: `Bearer ${token}` } }));
}

export async function signOut(): Promise<void> {
  unwrap(await api.DELETE('/api/v1/auth/session'));
}

/** The signed-in caller, or null without a (valid) session. */
export async function currentUser(): Promise<Me | null> {
  const result = await api.GET('/api/v1/auth/me');
  if (result.response.status === 401) return null;
  return unwrap(result);
}
