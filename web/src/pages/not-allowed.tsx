import type { Caller } from '../api';

export function NotAllowedPage({ me, onSignOut }: { me: Caller; onSignOut: () => void }) {
  return (
    <main className="login">
      <h1>Not allowed</h1>
      <p role="alert">
        You are signed in as <strong>{me.sub}</strong> with the role <strong>{me.roles.join(', ')}</strong>. The dashboard is for{' '}
        <strong>admin</strong> tokens (read and act) and <strong>service</strong> tokens (read only); <strong>user</strong> tokens cannot
        see A/B tests.
      </p>
      <button type="button" onClick={onSignOut}>
        Sign out and use another token
      </button>
    </main>
  );
}
