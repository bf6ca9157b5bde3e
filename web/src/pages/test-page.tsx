import { useEffect, useId, useState } from 'react';
import { api, unwrap, type AbTestDetail, type AbTestEvent, type MetricResult, type Results, type Schemas, type Timeseries } from '../api';
import { DecisionBadge, decisionText, ShadowBadge, StatusBadge } from '../components/badges';
import { ErrorMessage } from '../components/error-message';
import { IntervalPlot } from '../components/interval-plot';
import { TimeseriesChart } from '../components/timeseries-chart';
import { count, dateTime, metricLabel, ms, num, percent, pPhrase, pValue, signed } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useLoad } from '../use-load';
import { TestActions } from './test-actions';

/** How often a running test's figures are read again. */
export const LIVE_REFRESH_MS = 2000;

type Interval = 'minute' | 'hour';

async function loadTest(id: string) {
  const path = { params: { path: { test_id: id } } };
  const [test, results, events] = await Promise.all([
    api.GET('/api/v1/ab-tests/{test_id}', path).then(unwrap),
    api.GET('/api/v1/ab-tests/{test_id}/results', path).then(unwrap),
    api.GET('/api/v1/ab-tests/{test_id}/events', { params: { path: { test_id: id }, query: { limit: 200 } } }).then(unwrap),
  ]);
  return { test, results, events: events.items };
}

function chartMetrics(test: AbTestDetail): string[] {
  const custom = new Set([...test.metric_definitions.map((definition) => definition.name), ...Object.keys(test.metrics.variant_a.custom), ...Object.keys(test.metrics.variant_b.custom)]);
  return ['requests', 'error_rate', 'latency_ms', ...[...custom].map((name) => `custom:${name}`)];
}

async function loadCharts(id: string, metrics: string[], interval: Interval): Promise<Timeseries[]> {
  return Promise.all(metrics.map((metric) => api.GET('/api/v1/ab-tests/{test_id}/timeseries', { params: { path: { test_id: id }, query: { metric, interval } } }).then(unwrap)));
}

function defaultInterval(test: AbTestDetail | undefined): Interval {
  if (!test?.start_date) return 'minute';
  const end = test.end_date ? Date.parse(test.end_date) : Date.now();
  return end - Date.parse(test.start_date) > 12 * 3600_000 ? 'hour' : 'minute';
}

export function TestPage({ id, canWrite }: { id: string; canWrite: boolean }) {
  const { query } = useLocation();
  const [live, setLive] = useState(false);
  const core = useLoad(() => loadTest(id), id, live ? LIVE_REFRESH_MS : undefined);
  const status = core.data?.test.status;
  useEffect(() => setLive(status === 'active'), [status]);
  const current = core.data;
  const reload = core.reload;

  const requested = query.get('interval');
  const interval: Interval = requested === 'hour' || requested === 'minute' ? requested : defaultInterval(current?.test);
  const metrics = current ? chartMetrics(current.test) : [];
  const charts = useLoad(() => (metrics.length ? loadCharts(id, metrics, interval) : Promise.resolve([])), `${id}|${interval}|${metrics.join(',')}`, live ? LIVE_REFRESH_MS * 2 : undefined);

  if (core.error && !current) return <main><ErrorMessage error={core.error} prefix="Could not load the test" /></main>;
  if (!current) return <main aria-busy="true"><p>Loading…</p></main>;
  const { test, results, events } = current;

  return (
    <main>
      <p>
        <Link href="/">← All tests</Link>
      </p>
      <div className="title-row">
        <h1>{test.name}</h1>
        <StatusBadge status={test.status} />
        {test.mode === 'shadow' && <ShadowBadge />}
      </div>
      {test.description && <p>{test.description}</p>}
      <p className="muted live-line">
        {live ? `Live: figures refresh every ${LIVE_REFRESH_MS / 1000} s · ` : ''}computed {dateTime(results.computed_at)}
      </p>
      <ErrorMessage error={core.error} prefix="Refresh failed (showing the last figures)" />

      {results.sample_ratio.mismatch && (
        <div className="warning" role="alert">
          <strong>Sample-ratio mismatch.</strong> Assignments are a {count(results.sample_ratio.observed.a)} / b {count(results.sample_ratio.observed.b)}, expected shares a{' '}
          {percent(results.sample_ratio.expected.a, 1)} / b {percent(results.sample_ratio.expected.b, 1)} (χ² {pPhrase(results.sample_ratio.p_value)}). Something other
          than chance is sending users to one variant: the comparison below cannot be trusted until that is found.
        </div>
      )}

      <Recommendation results={results} />
      {canWrite && <TestActions test={test} onChanged={reload} />}

      <div className="two-columns">
        <Overview test={test} events={events} />
        <Criteria results={results} />
      </div>
      {test.rollout && <RolloutState test={test} rollout={test.rollout} />}
      {results.shadow && <ShadowSection results={results} shadow={results.shadow} />}
      <VariantTable test={test} />
      <StatisticsTable results={results} />

      <section aria-labelledby="charts-heading">
        <div className="title-row">
          <h2 id="charts-heading">Over time</h2>
          <IntervalPicker value={interval} />
        </div>
        <ErrorMessage error={charts.error} prefix="Could not load the charts" />
        <div className="charts">
          {charts.data?.map((series) => (
            <div key={series.metric} className="chart-pair">
              <TimeseriesChart title={`${metricLabel(series.metric)}${series.metric === 'latency_ms' ? ' — mean' : ''} per ${series.interval}`} series={series.series} unit={series.metric === 'latency_ms' ? 'ms' : ''} />
              {series.metric === 'latency_ms' && <TimeseriesChart title={`latency (ms) — p95 per ${series.interval}`} series={series.series} pick={(point) => point.p95 ?? null} unit="ms" />}
            </div>
          ))}
        </div>
      </section>

      <Timeline events={events} />
    </main>
  );
}

function IntervalPicker({ value }: { value: Interval }) {
  const id = useId();
  return (
    <div className="inline-field">
      <label htmlFor={id}>Buckets</label>
      <select id={id} value={value} onChange={(event) => navigate(`${location.pathname}?interval=${event.target.value}`, { replace: true })}>
        <option value="minute">minute</option>
        <option value="hour">hour</option>
      </select>
    </div>
  );
}

function Recommendation({ results }: { results: Results }) {
  const { decision, reasons } = results.recommendation;
  return (
    <section className="recommendation" aria-labelledby="recommendation-heading">
      <h2 id="recommendation-heading">
        Recommendation: <DecisionBadge decision={decision} />
      </h2>
      <ul>
        {reasons.map((reason) => (
          <li key={reason}>{reason}</li>
        ))}
      </ul>
    </section>
  );
}

function Overview({ test, events }: { test: AbTestDetail; events: AbTestEvent[] }) {
  const splits = events.filter((event) => event.action === 'traffic_split_changed');
  return (
    <section aria-labelledby="overview-heading">
      <h2 id="overview-heading">Variants</h2>
      <table className="data">
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">Model version</th>
            <th scope="col" className="number">Split</th>
            <th scope="col" className="number">Assigned users</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">a (control)</th>
            <td>{test.model_type} {test.variant_a}</td>
            <td className="number" data-testid="split-a">{percent(test.traffic_split.a, 1)}</td>
            <td className="number">{count(test.assignments.variant_a)}</td>
          </tr>
          <tr>
            <th scope="row">b (treatment)</th>
            <td>{test.model_type} {test.variant_b}</td>
            <td className="number" data-testid="split-b">{percent(test.traffic_split.b, 1)}</td>
            <td className="number">{count(test.assignments.variant_b)}</td>
          </tr>
        </tbody>
      </table>
      <dl className="facts">
        <dt>Split history</dt>
        <dd>
          {splits.length === 0
            ? `unchanged since creation (version ${test.split_version})`
            : splits.map((event) => `${dateTime(event.created_at)}: ${splitText(event.before)} → ${splitText(event.after)} by ${event.actor}`).join('; ')}
        </dd>
        <dt>Created</dt>
        <dd>{dateTime(test.created_at)} by {test.created_by}</dd>
        <dt>Started</dt>
        <dd>{dateTime(test.start_date)}</dd>
        <dt>Ended</dt>
        <dd>{dateTime(test.end_date)}</dd>
        <dt>Auto-pause on guardrail breach</dt>
        <dd>{test.auto_pause ? 'yes' : 'no'}</dd>
        {test.status === 'completed' && (
          <>
            <dt>Winner</dt>
            <dd>{test.winner ? `${test.winner} (${test.winner === 'a' ? test.variant_a : test.variant_b})` : 'none'}</dd>
            <dt>Notes</dt>
            <dd>{test.notes ?? '—'}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function splitText(value: Record<string, unknown> | null): string {
  const split = (value?.traffic_split ?? value) as { a?: unknown; b?: unknown } | null | undefined;
  if (!split || typeof split.a !== 'number' || typeof split.b !== 'number') return '?';
  return `a ${percent(split.a, 1)} / b ${percent(split.b, 1)}`;
}

const ROLLOUT_STATE_TEXT: Record<NonNullable<Schemas['AbTestDetailResponse']['rollout']>['state'], string> = {
  ramping: 'ramping: b moves to the next step when this one has lasted long enough, with enough requests and no guardrail breached',
  holding: 'holding at the last step: auto-complete acts on the first conclusive recommendation (ship b, keep a, no difference)',
  rolled_back: 'rolled back: a guardrail was breached, b is at 0 and the test is paused',
  done: 'done: the test is completed',
};

function RolloutState({ test, rollout }: { test: AbTestDetail; rollout: NonNullable<Schemas['AbTestDetailResponse']['rollout']> }) {
  return (
    <section aria-labelledby="rollout-heading">
      <h2 id="rollout-heading">Rollout</h2>
      <ol className="rollout-steps">
        {rollout.steps.map((share, index) => (
          <li key={share} aria-current={index === rollout.current_step ? 'step' : undefined}>
            {index === rollout.current_step ? <strong>b {percent(share, 1)} (current)</strong> : `b ${percent(share, 1)}`}
          </li>
        ))}
      </ol>
      <dl className="facts">
        <dt>State</dt>
        <dd data-testid="rollout-state">
          {rollout.state === 'holding' && !rollout.auto_complete ? 'holding at the last step: waiting for a person to complete the test (auto-complete is off)' : ROLLOUT_STATE_TEXT[rollout.state]}
        </dd>
        <dt>Each step</dt>
        <dd>
          at least {count(rollout.step_min_seconds)} s and {count(rollout.step_min_requests)} requests per variant; auto-complete {rollout.auto_complete ? 'on' : 'off'}
        </dd>
        <dt>Current step since</dt>
        <dd>{dateTime(rollout.step_started_at)}</dd>
        <dt>Next check</dt>
        <dd>{dateTime(rollout.next_check_at)}</dd>
        <dt>Split now</dt>
        <dd>{splitText(test.traffic_split)}</dd>
      </dl>
    </section>
  );
}

function ShadowSection({ results, shadow }: { results: Results; shadow: Schemas['ShadowSectionResponse'] }) {
  const labelsA = Object.keys(shadow.confusion).sort();
  const labelsB = [...new Set(Object.values(shadow.confusion).flatMap((row) => Object.keys(row)))].sort();
  const ci = shadow.agreement.ci95;
  return (
    <section aria-labelledby="shadow-heading">
      <h2 id="shadow-heading">Shadow comparison</h2>
      <p>
        Everyone is served a; b ran on {count(shadow.compared)} of the same inputs ({count(shadow.dropped)} dropped because the queue was full,{' '}
        {count(shadow.errors_b.n)} failed runs of b{shadow.errors_b.rate === null ? '' : `, ${percent(shadow.errors_b.rate, 2)}`}).
      </p>
      <dl className="facts">
        <dt>Agreement</dt>
        <dd data-testid="shadow-agreement">
          {percent(shadow.agreement.rate, 2)}
          {ci ? ` (95% CI ${percent(ci[0], 2)} – ${percent(ci[1], 2)}, Wilson)` : ''}
        </dd>
        <dt>Latency of a (p50 / p95 / p99)</dt>
        <dd>
          {ms(shadow.latency_ms.a.p50)} / {ms(shadow.latency_ms.a.p95)} / {ms(shadow.latency_ms.a.p99)}
        </dd>
        <dt>Latency of b on the same requests</dt>
        <dd>
          {ms(shadow.latency_ms.b.p50)} / {ms(shadow.latency_ms.b.p95)} / {ms(shadow.latency_ms.b.p99)}
        </dd>
      </dl>
      {labelsA.length > 0 && (
        <table className="data">
          <caption>Confusion: label of a (rows) against label of b (columns), compared requests</caption>
          <thead>
            <tr>
              <th scope="col">a \ b</th>
              {labelsB.map((label) => (
                <th key={label} scope="col" className="number">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labelsA.map((labelA) => (
              <tr key={labelA}>
                <th scope="row">{labelA}</th>
                {labelsB.map((labelB) => (
                  <td key={labelB} className="number">
                    {labelA === labelB ? <strong>{count(shadow.confusion[labelA]?.[labelB] ?? 0)}</strong> : count(shadow.confusion[labelA]?.[labelB] ?? 0)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Decision for this shadow test: {decisionText(results.recommendation.decision)}. Disagreements for review: GET /api/v1/ab-tests/{results.test_id}/disagreements.
      </p>
    </section>
  );
}

function Criteria({ results }: { results: Results }) {
  return (
    <section aria-labelledby="criteria-heading">
      <h2 id="criteria-heading">Criteria</h2>
      {results.criteria.length === 0 ? (
        <p className="muted">The test declared no criteria.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Criterion</th>
              <th scope="col" className="number">Threshold</th>
              <th scope="col">Observed</th>
              <th scope="col">Passes</th>
            </tr>
          </thead>
          <tbody>
            {results.criteria.map((criterion) => (
              <tr key={criterion.name}>
                <th scope="row">{criterion.name}</th>
                <td className="number">{criterion.name === 'min_requests' ? count(criterion.threshold) : num(criterion.threshold)}</td>
                <td>{observedText(criterion.observed)}</td>
                <td>{criterion.met ? <span className="badge ok">✓ met</span> : <span className="badge not-met">✗ not met</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function observedText(observed: Schemas['AbTestResultsResponse']['criteria'][number]['observed']): string {
  if (observed === null || observed === undefined) return '—';
  if (typeof observed === 'number') return num(observed);
  if ('metric' in observed) return `${metricLabel(observed.metric)}: a ${num(observed.a)}, b ${num(observed.b)}, improvement ${percent(observed.improvement, 1)}`;
  return `a ${count(observed.a)}, b ${count(observed.b)}`;
}

function VariantTable({ test }: { test: AbTestDetail }) {
  const arms = [
    ['a', test.metrics.variant_a],
    ['b', test.metrics.variant_b],
  ] as const;
  const custom = [...new Set([...Object.keys(test.metrics.variant_a.custom), ...Object.keys(test.metrics.variant_b.custom)])].sort();
  return (
    <section aria-labelledby="per-variant-heading">
      <h2 id="per-variant-heading">Per variant</h2>
      <div className="scroll">
        <table className="data" data-testid="variant-metrics">
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col" className="number">Requests</th>
              <th scope="col" className="number">Errors</th>
              <th scope="col" className="number">Error rate</th>
              <th scope="col" className="number">Latency avg</th>
              <th scope="col" className="number">p50</th>
              <th scope="col" className="number">p95</th>
              <th scope="col" className="number">p99</th>
              {custom.map((name) => (
                <th key={name} scope="col" className="number">
                  {name} (n, mean)
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {arms.map(([variant, metrics]) => (
              <tr key={variant}>
                <th scope="row">{variant}</th>
                <td className="number" data-testid={`requests-${variant}`}>{count(metrics.requests)}</td>
                <td className="number" data-testid={`errors-${variant}`}>{count(metrics.errors)}</td>
                <td className="number">{percent(metrics.error_rate)}</td>
                <td className="number">{ms(metrics.avg_latency)}</td>
                <td className="number">{ms(metrics.p50_latency)}</td>
                <td className="number">{ms(metrics.p95_latency)}</td>
                <td className="number">{ms(metrics.p99_latency)}</td>
                {custom.map((name) => {
                  const value = metrics.custom[name];
                  return (
                    <td key={name} className="number">
                      {count(value?.count ?? 0)}, {num(value?.mean ?? null)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function StatisticsTable({ results }: { results: Results }) {
  return (
    <section aria-labelledby="statistics-heading">
      <h2 id="statistics-heading">b against a</h2>
      <p className="help">
        Difference is b − a with its 95% interval (the bar; the vertical line is zero). The fixed-horizon p-value is valid for one planned look; the
        always-valid (sequential) p-value stays valid however often you look, and decides significance.
      </p>
      <div className="scroll">
        <table className="data statistics" data-testid="statistics">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="number">a</th>
              <th scope="col" className="number">b</th>
              <th scope="col" className="number">b − a</th>
              <th scope="col" className="number">Relative</th>
              <th scope="col">95% interval</th>
              <th scope="col" className="number">p-value</th>
              <th scope="col" className="number">Always-valid p</th>
              <th scope="col" className="number">P(b better)</th>
              <th scope="col">Significant</th>
            </tr>
          </thead>
          <tbody>
            {results.metrics.map((metric) => (
              <StatisticsRow key={metric.name} metric={metric} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ArmCell({ metric, variant }: { metric: MetricResult; variant: 'a' | 'b' }) {
  const arm = metric[variant];
  return (
    <td className="number">
      {metric.kind === 'proportion' ? percent(arm.mean) : num(arm.mean)}
      <span className="muted n">n {count(arm.n)}</span>
    </td>
  );
}

function StatisticsRow({ metric }: { metric: MetricResult }) {
  const label = metricLabel(metric.name);
  return (
    <tr data-metric={metric.name}>
      <th scope="row" className="metric-name">
        {label}
        <span className="muted">{metric.higher_is_better ? 'higher is better' : 'lower is better'}</span>
      </th>
      <ArmCell metric={metric} variant="a" />
      <ArmCell metric={metric} variant="b" />
      <td className="number">{signed(metric.difference)}</td>
      <td className="number">{metric.relative_difference === null ? '—' : `${metric.relative_difference > 0 ? '+' : ''}${percent(metric.relative_difference, 1)}`}</td>
      <td>
        <IntervalPlot label={label} difference={metric.difference} ci95={metric.ci95} higherIsBetter={metric.higher_is_better} />
        {metric.ci95 && metric.ci95.length === 2 && (
          <span className="ci-text">
            [{num(metric.ci95[0])}, {num(metric.ci95[1])}]
          </span>
        )}
      </td>
      <td className="number">{pValue(metric.p_value)}</td>
      <td className="number">{pValue(metric.sequential_p_value)}</td>
      <td className="number">{percent(metric.probability_b_better, 1)}</td>
      <td>{metric.significant ? <span className="badge ok">yes</span> : <span className="badge neutral">no</span>}</td>
    </tr>
  );
}

function Timeline({ events }: { events: AbTestEvent[] }) {
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Who did what</h2>
      <ol className="timeline">
        {events.map((event) => (
          <li key={event.id}>
            <time dateTime={event.created_at}>{dateTime(event.created_at)}</time> <strong>{event.action.replace(/_/g, ' ')}</strong> by {event.actor}
            {event.action === 'traffic_split_changed' && `: ${splitText(event.before)} → ${splitText(event.after)}`}
            {event.action === 'completed' && event.after && completionText(event.after)}
          </li>
        ))}
      </ol>
    </section>
  );
}

function completionText(after: Record<string, unknown>): string {
  const winner = typeof after.winner === 'string' ? after.winner : 'none';
  return `: winner ${winner}${typeof after.promoted_version === 'string' ? `, ${after.promoted_version} promoted to production` : ''}`;
}
