import { useEffect, useState } from 'react';
import type { Caller } from './api';
import { ErrorMessage } from './components/error-message';
import { CreateTestPage } from './pages/create-test';
import { LoginPage } from './pages/login';
import { ModelsPage } from './pages/models';
import { NotAllowedPage } from './pages/not-allowed';
import { TestPage } from './pages/test-page';
import { TestsListPage } from './pages/tests-list';
import { Link, navigate, useLocation } from './router';
import { currentUser, signOut } from './session';

type Session = { state: 'checking' } | { state: 'anonymous' } | { state: 'signed-in'; me: Caller } | { state: 'failed'; error: unknown };

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<Session>({ state: 'checking' });

  useEffect(() => {
    if (path === '/login') return;
    if (session.state !== 'checking') return;
    currentUser().then(
      (me) => setSession(me ? { state: 'signed-in', me } : { state: 'anonymous' }),
      (error: unknown) => setSession({ state: 'failed', error }),
    );
  }, [path, session.state]);

  useEffect(() => {
    if (session.state === 'anonymous' && path !== '/login') navigate('/login', { replace: true });
  }, [session.state, path]);

  const leave = async () => {
    await signOut().catch(() => undefined);
    setSession({ state: 'anonymous' });
    navigate('/login');
  };

  if (path === '/login') {
    return (
      <LoginPage
        onSignedIn={(me) => {
          setSession({ state: 'signed-in', me });
          navigate('/', { replace: true });
        }}
      />
    );
  }
  if (session.state === 'failed') return <main><ErrorMessage error={session.error} prefix="Could not reach the service" /></main>;
  if (session.state !== 'signed-in') return <main aria-busy="true"><p>Loading…</p></main>;

  const { me } = session;
  if (!me.roles.includes('admin') && !me.roles.includes('service')) return <NotAllowedPage me={me} onSignOut={() => void leave()} />;
  const canWrite = me.roles.includes('admin');

  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="top">
        <nav aria-label="Main">
          <Link href="/" className="brand">
            model-ab
          </Link>
          <Link href="/" aria-current={path === '/' ? 'page' : undefined}>
            Tests
          </Link>
          {canWrite && (
            <Link href="/ab-tests/new" aria-current={path === '/ab-tests/new' ? 'page' : undefined}>
              New test
            </Link>
          )}
          <Link href="/models" aria-current={path === '/models' ? 'page' : undefined}>
            Models
          </Link>
        </nav>
        <div className="who">
          <span>
            {me.sub} ({me.roles.join(', ')}
            {canWrite ? '' : ', read only'})
          </span>
          <button type="button" onClick={() => void leave()}>
            Sign out
          </button>
        </div>
      </header>
      <div id="content">
        <Page path={path} canWrite={canWrite} />
      </div>
    </>
  );
}

function Page({ path, canWrite }: { path: string; canWrite: boolean }) {
  if (path === '/') return <TestsListPage canWrite={canWrite} />;
  if (path === '/models') return <ModelsPage canWrite={canWrite} />;
  if (path === '/ab-tests/new') return canWrite ? <CreateTestPage /> : <main><p role="alert">Creating tests needs an admin token.</p></main>;
  const match = /^\/ab-tests\/([0-9a-f-]{36})$/i.exec(path);
  if (match) return <TestPage key={match[1]} id={match[1]!} canWrite={canWrite} />;
  return (
    <main>
      <h1>Page not found</h1>
      <p>
        <Link href="/">Back to the tests</Link>
      </p>
    </main>
  );
}
