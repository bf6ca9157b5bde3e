import { useId } from 'react';
import { api, unwrap, type AbTest, type Results, type Status } from '../api';
import { DecisionBadge, ShadowBadge, SrmBadge, StatusBadge } from '../components/badges';
import { ErrorMessage } from '../components/error-message';
import { count, dateTime } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useLoad } from '../use-load';

const PAGE_SIZE = 20;
const STATUSES: Status[] = ['draft', 'active', 'paused', 'completed'];

interface Row {
  test: AbTest;
  results: Results | null;
}

async function loadPage(status: Status | undefined, modelType: string | undefined, offset: number) {
  const page = unwrap(await api.GET('/api/v1/ab-tests', { params: { query: { status, model_type: modelType, limit: PAGE_SIZE, offset } } }));
  // Drafts have no results worth a badge; the rest are read in parallel (one page at most).
  const rows: Row[] = await Promise.all(
    page.items.map(async (test) => ({
      test,
      results: test.status === 'draft' ? null : unwrap(await api.GET('/api/v1/ab-tests/{test_id}/results', { params: { path: { test_id: test.test_id } } })),
    })),
  );
  return { rows, total: page.total };
}

function requestsOf(results: Results | null, variant: 'a' | 'b'): number | null {
  const errorRate = results?.metrics.find((metric) => metric.name === 'error_rate');
  return errorRate ? errorRate[variant].n : null;
}

export function TestsListPage({ canWrite }: { canWrite: boolean }) {
  const { query } = useLocation();
  const status = STATUSES.find((value) => value === query.get('status'));
  const modelType = query.get('model_type') || undefined;
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const statusId = useId();
  const modelId = useId();

  const tests = useLoad(() => loadPage(status, modelType, offset), `${status}|${modelType}|${offset}`, 5000);
  const models = useLoad(async () => unwrap(await api.GET('/api/v1/models')), 'models');

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete('offset');
    navigate(`/?${next.toString()}`);
  };
  const pageTo = (nextOffset: number) => {
    const next = new URLSearchParams(query);
    next.set('offset', String(nextOffset));
    navigate(`/?${next.toString()}`);
  };

  const total = tests.data?.total ?? 0;
  return (
    <main>
      <div className="title-row">
        <h1>A/B tests</h1>
        {canWrite && (
          <Link href="/ab-tests/new" className="button primary">
            New test
          </Link>
        )}
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={statusId}>Status</label>
        <select id={statusId} value={status ?? ''} onChange={(event) => setFilter('status', event.target.value)}>
          <option value="">any</option>
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
        <label htmlFor={modelId}>Model type</label>
        <select id={modelId} value={modelType ?? ''} onChange={(event) => setFilter('model_type', event.target.value)}>
          <option value="">any</option>
          {(models.data ?? []).map((model) => (
            <option key={model.name} value={model.name}>
              {model.name}
            </option>
          ))}
        </select>
      </form>
      <ErrorMessage error={tests.error} prefix="Could not load the tests" />
      <table className="data">
        <caption className="visually-hidden">A/B tests, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Model type</th>
            <th scope="col">Status</th>
            <th scope="col">Split a / b</th>
            <th scope="col">Started</th>
            <th scope="col" className="number">
              Requests a
            </th>
            <th scope="col" className="number">
              Requests b
            </th>
            <th scope="col">Recommendation</th>
          </tr>
        </thead>
        <tbody>
          {tests.data?.rows.map(({ test, results }) => (
            <tr key={test.test_id}>
              <td>
                <Link href={`/ab-tests/${test.test_id}`}>{test.name}</Link>
              </td>
              <td>{test.model_type}</td>
              <td>
                <StatusBadge status={test.status} /> {test.mode === 'shadow' && <ShadowBadge />}
              </td>
              <td>
                {test.mode === 'shadow' ? 'a serves all' : `${Math.round(test.traffic_split.a * 100)}% / ${Math.round(test.traffic_split.b * 100)}%`}
              </td>
              <td>{dateTime(test.start_date)}</td>
              <td className="number">{count(requestsOf(results, 'a'))}</td>
              <td className="number">{count(requestsOf(results, 'b'))}</td>
              <td>
                {results ? <DecisionBadge decision={results.recommendation.decision} /> : <span className="muted">—</span>}{' '}
                {results?.sample_ratio.mismatch && <SrmBadge />}
              </td>
            </tr>
          ))}
          {tests.data && tests.data.rows.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No A/B tests match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={offset === 0} onClick={() => pageTo(Math.max(0, offset - PAGE_SIZE))}>
          Previous page
        </button>
        <span>
          {total === 0 ? '0' : `${count(offset + 1)}–${count(Math.min(offset + PAGE_SIZE, total))}`} of {count(total)}
        </span>
        <button type="button" disabled={offset + PAGE_SIZE >= total} onClick={() => pageTo(offset + PAGE_SIZE)}>
          Next page
        </button>
      </nav>
    </main>
  );
}
