import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, unwrap, type Schemas } from '../api';
import { ErrorMessage } from '../components/error-message';
import { navigate } from '../router';
import { useLoad } from '../use-load';

type CreateBody = Schemas['CreateAbTestDto'];

interface MetricRow {
  name: string;
  higherIsBetter: boolean;
}

/** A labelled control with the API's messages for its field(s) right below it. */
function Field({ label, messages, children, id, hint }: { label: string; messages: string[]; children: (describedBy: string | undefined) => ReactNode; id: string; hint?: string }) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : '', messages.length ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(describedBy)}
      {hint && (
        <span id={hintId} className="help">
          {hint}
        </span>
      )}
      {messages.length > 0 && (
        <span id={errorId} className="field-error" role="alert">
          {messages.join('; ')}
        </span>
      )}
    </div>
  );
}

function optionalNumber(value: string): number | undefined {
  return value.trim() === '' ? undefined : Number(value);
}

export function CreateTestPage() {
  const models = useLoad(async () => unwrap(await api.GET('/api/v1/models')), 'models');
  const [modelType, setModelType] = useState('');
  const versions = useLoad(
    async () => (modelType ? unwrap(await api.GET('/api/v1/models/{model_type}/versions', { params: { path: { model_type: modelType }, query: { limit: 200 } } })).items : []),
    modelType,
  );
  const offered = (versions.data ?? []).filter((version) => version.stage !== 'archived');

  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [variantA, setVariantA] = useState('');
  const [variantB, setVariantB] = useState('');
  const [percentB, setPercentB] = useState('50');
  const [minRequests, setMinRequests] = useState('');
  const [maxErrorRate, setMaxErrorRate] = useState('');
  const [maxLatency, setMaxLatency] = useState('');
  const [minImprovement, setMinImprovement] = useState('');
  const [metrics, setMetrics] = useState<MetricRow[]>([]);
  const [autoPause, setAutoPause] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const base = useId();
  const id = (field: string) => `${base}-${field.replace(/\W/g, '-')}`;

  const fields = error instanceof ApiError ? error.fields : {};
  const messagesFor = (...names: string[]) => names.flatMap((field) => Object.entries(fields).filter(([key]) => key === field || key.startsWith(`${field}.`)).flatMap(([, list]) => list));
  const shown = new Set(['name', 'description', 'model_type', 'variant_a', 'variant_b', 'traffic_split', 'criteria', 'metrics', 'auto_pause']);
  const unplaced = Object.keys(fields).filter((key) => !shown.has(key.split('.')[0]!));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const b = Number(percentB) / 100;
    const criteria: NonNullable<CreateBody['criteria']> = {
      min_requests: optionalNumber(minRequests),
      max_error_rate: optionalNumber(maxErrorRate),
      max_latency_ms: optionalNumber(maxLatency),
      min_improvement: optionalNumber(minImprovement),
    };
    const body: CreateBody = {
      name,
      model_type: modelType,
      variant_a: variantA,
      variant_b: variantB,
      traffic_split: { a: Number((1 - b).toFixed(6)), b },
      auto_pause: autoPause,
      ...(description.trim() ? { description } : {}),
      ...(Object.values(criteria).some((value) => value !== undefined) ? { criteria } : {}),
      ...(metrics.length ? { metrics: metrics.map((metric) => ({ name: metric.name, higher_is_better: metric.higherIsBetter })) } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      const created = unwrap(await api.POST('/api/v1/ab-tests', { body }));
      navigate(`/ab-tests/${created.test_id}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <h1>New A/B test</h1>
      <form className="create" onSubmit={(event) => void submit(event)} noValidate>
        <Field label="Name" id={id('name')} messages={messagesFor('name')}>
          {(describedBy) => <input id={id('name')} value={name} onChange={(event) => setName(event.target.value)} aria-describedby={describedBy} required />}
        </Field>
        <Field label="Description (optional)" id={id('description')} messages={messagesFor('description')}>
          {(describedBy) => <textarea id={id('description')} rows={2} value={description} onChange={(event) => setDescription(event.target.value)} aria-describedby={describedBy} />}
        </Field>
        <Field label="Model type" id={id('model_type')} messages={messagesFor('model_type')}>
          {(describedBy) => (
            <select
              id={id('model_type')}
              value={modelType}
              aria-describedby={describedBy}
              onChange={(event) => {
                setModelType(event.target.value);
                setVariantA('');
                setVariantB('');
              }}
            >
              <option value="">choose…</option>
              {(models.data ?? []).map((model) => (
                <option key={model.name} value={model.name}>
                  {model.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {(['a', 'b'] as const).map((variant) => (
          <Field
            key={variant}
            label={variant === 'a' ? 'Variant a (control) version' : 'Variant b (treatment) version'}
            id={id(`variant_${variant}`)}
            messages={messagesFor(`variant_${variant}`)}
            hint="Archived versions are not offered."
          >
            {(describedBy) => (
              <select
                id={id(`variant_${variant}`)}
                value={variant === 'a' ? variantA : variantB}
                aria-describedby={describedBy}
                disabled={!modelType}
                onChange={(event) => (variant === 'a' ? setVariantA : setVariantB)(event.target.value)}
              >
                <option value="">choose…</option>
                {offered.map((version) => (
                  <option key={version.version} value={version.version}>
                    {version.version} ({version.stage})
                  </option>
                ))}
              </select>
            )}
          </Field>
        ))}
        <Field label="Share of new users sent to b (%)" id={id('traffic_split')} messages={messagesFor('traffic_split')} hint={`a gets the rest: ${Number.isFinite(Number(percentB)) ? 100 - Number(percentB) : '—'}%.`}>
          {(describedBy) => <input id={id('traffic_split')} type="number" min={0} max={100} step={0.1} value={percentB} onChange={(event) => setPercentB(event.target.value)} aria-describedby={describedBy} />}
        </Field>
        <fieldset>
          <legend>Criteria (optional)</legend>
          <Field label="Minimum requests per variant" id={id('criteria.min_requests')} messages={messagesFor('criteria.min_requests')}>
            {(describedBy) => <input id={id('criteria.min_requests')} type="number" value={minRequests} onChange={(event) => setMinRequests(event.target.value)} aria-describedby={describedBy} />}
          </Field>
          <Field label="Maximum error rate of b (0–1)" id={id('criteria.max_error_rate')} messages={messagesFor('criteria.max_error_rate')}>
            {(describedBy) => <input id={id('criteria.max_error_rate')} type="number" step="any" value={maxErrorRate} onChange={(event) => setMaxErrorRate(event.target.value)} aria-describedby={describedBy} />}
          </Field>
          <Field label="Maximum p95 latency of b (ms)" id={id('criteria.max_latency_ms')} messages={messagesFor('criteria.max_latency_ms')}>
            {(describedBy) => <input id={id('criteria.max_latency_ms')} type="number" step="any" value={maxLatency} onChange={(event) => setMaxLatency(event.target.value)} aria-describedby={describedBy} />}
          </Field>
          <Field label="Minimum relative improvement (0.05 = 5%)" id={id('criteria.min_improvement')} messages={messagesFor('criteria.min_improvement')}>
            {(describedBy) => <input id={id('criteria.min_improvement')} type="number" step="any" value={minImprovement} onChange={(event) => setMinImprovement(event.target.value)} aria-describedby={describedBy} />}
          </Field>
        </fieldset>
        <fieldset>
          <legend>Custom metrics</legend>
          {metrics.map((metric, index) => (
            <div key={index} className="metric-row">
              <Field label={`Metric ${index + 1} name`} id={id(`metrics.${index}.name`)} messages={messagesFor(`metrics.${index}`)}>
                {(describedBy) => (
                  <input
                    id={id(`metrics.${index}.name`)}
                    value={metric.name}
                    aria-describedby={describedBy}
                    onChange={(event) => setMetrics(metrics.map((row, i) => (i === index ? { ...row, name: event.target.value } : row)))}
                  />
                )}
              </Field>
              <label className="inline">
                <input type="checkbox" checked={metric.higherIsBetter} onChange={(event) => setMetrics(metrics.map((row, i) => (i === index ? { ...row, higherIsBetter: event.target.checked } : row)))} />
                Higher is better
              </label>
              <button type="button" onClick={() => setMetrics(metrics.filter((_, i) => i !== index))} aria-label={`Remove metric ${index + 1}`}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setMetrics([...metrics, { name: '', higherIsBetter: true }])}>
            Add a metric
          </button>
        </fieldset>
        <label className="inline">
          <input type="checkbox" checked={autoPause} onChange={(event) => setAutoPause(event.target.checked)} />
          Pause automatically when a guardrail is breached
        </label>
        {unplaced.length > 0 && <p className="field-error">{unplaced.map((key) => `${key}: ${(fields[key] ?? []).join('; ')}`).join(' · ')}</p>}
        <ErrorMessage error={error} prefix="The test was not created" />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create test'}
          </button>
        </div>
      </form>
    </main>
  );
}
