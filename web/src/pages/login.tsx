import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Caller } from '../api';
import { ErrorMessage } from '../components/error-message';
import { signIn, signInOptions, type SignInOptions } from '../session';

/**
 * /login#token=… (the link `npm start` prints) signs in at once and drops the fragment from the
 * address bar and history; /login alone offers a field to paste a token into. When the service
 * has an identity provider for the dashboard (OIDC_CLIENT_ID), /login leads with "Sign in with
 * <provider>" — a plain link to the server, which runs the authorization code flow — and keeps
 * the token form behind a disclosure (local admin tokens still work, e.g. while the provider is down).
 */
export function LoginPage({ onSignedIn }: { onSignedIn: (me: Caller) => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState('');
  const fieldId = useId();
  const started = useRef(false);
  const [options, setOptions] = useState<SignInOptions | null>(null);

  const submit = async (value: string) => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(value.trim()));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const fragment = new URLSearchParams(location.hash.slice(1));
    const fromLink = fragment.get('token');
    if (!fromLink) {
      signInOptions().then(setOptions, () => setOptions({ provider: null, url: null }));
      return;
    }
    history.replaceState(null, '', location.pathname + location.search);
    void submit(fromLink);
  }, []);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) void submit(token);
  };

  const tokenForm = (
    <>
      <p>
        Open the sign-in link <code>npm start</code> prints, or paste a token (<code>npm run token -- --sub alice --role admin</code>).
      </p>
      <form onSubmit={onSubmit}>
        <label htmlFor={fieldId}>Token</label>
        <textarea id={fieldId} rows={4} value={token} onChange={(event) => setToken(event.target.value)} autoComplete="off" spellCheck={false} />
        <button type="submit" className="primary" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </>
  );

  return (
    <main className="login">
      <h1>Sign in to model-ab</h1>
      {options?.provider && options.url ? (
        <>
          <p>
            <a className="button primary" href={options.url}>
              Sign in with {options.provider}
            </a>
          </p>
          <details>
            <summary>Sign in with a token instead</summary>
            {tokenForm}
          </details>
        </>
      ) : (
        tokenForm
      )}
      <ErrorMessage error={error} prefix="Sign-in failed" />
    </main>
  );
}
