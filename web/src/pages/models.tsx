import { useId, useState } from 'react';
import { api, unwrap, type ModelType, type ModelVersion, type Stage } from '../api';
import { StageBadge } from '../components/badges';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorMessage } from '../components/error-message';
import { count, dateTime, percent } from '../format';
import { useLoad } from '../use-load';

const STAGES: Stage[] = ['none', 'staging', 'production', 'archived'];

async function loadModels() {
  const types = unwrap(await api.GET('/api/v1/models'));
  return Promise.all(
    types.map(async (type) => ({
      type,
      versions: unwrap(await api.GET('/api/v1/models/{model_type}/versions', { params: { path: { model_type: type.name }, query: { limit: 200 } } })).items,
    })),
  );
}

export function ModelsPage({ canWrite }: { canWrite: boolean }) {
  const models = useLoad(loadModels, 'models');
  return (
    <main>
      <h1>Models</h1>
      <ErrorMessage error={models.error} prefix="Could not load the models" />
      {models.data?.map(({ type, versions }) => (
        <ModelTypeSection key={type.name} type={type} versions={versions} canWrite={canWrite} onChanged={models.reload} />
      ))}
    </main>
  );
}

function heldOutAccuracy(version: ModelVersion): number | null {
  const metrics = (version.metadata as { metrics?: { heldout_accuracy?: unknown } }).metrics;
  return typeof metrics?.heldout_accuracy === 'number' ? metrics.heldout_accuracy : null;
}

function ModelTypeSection({ type, versions, canWrite, onChanged }: { type: ModelType; versions: ModelVersion[]; canWrite: boolean; onChanged: () => Promise<void> }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="model-type">
      <h2 id={headingId}>{type.name}</h2>
      <p>
        {type.task} · production version: <strong data-testid={`production-${type.name}`}>{type.production_version ?? 'none'}</strong>
        {type.description ? ` · ${type.description}` : ''}
      </p>
      <div className="scroll">
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Stage</th>
              <th scope="col" className="number">Held-out accuracy</th>
              <th scope="col" className="number">Size</th>
              <th scope="col">sha256</th>
              <th scope="col">Registered</th>
              <th scope="col">Stage history</th>
              {canWrite && <th scope="col">Promote</th>}
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.id}>
                <th scope="row">{version.version}</th>
                <td>
                  <StageBadge stage={version.stage} />
                </td>
                <td className="number">{percent(heldOutAccuracy(version), 1)}</td>
                <td className="number">{count(version.size_bytes)} B</td>
                <td>
                  <code className="hash" title={version.sha256}>
                    {version.sha256.slice(0, 12)}…
                  </code>
                </td>
                <td>
                  {dateTime(version.created_at)} by {version.created_by}
                </td>
                <td>
                  <StageHistory version={version} />
                </td>
                {canWrite && (
                  <td>
                    <Promote version={version} onChanged={onChanged} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function StageHistory({ version }: { version: ModelVersion }) {
  const [open, setOpen] = useState(false);
  const history = useLoad(
    async () =>
      open
        ? unwrap(await api.GET('/api/v1/models/{model_type}/versions/{version}/stage-changes', { params: { path: { model_type: version.model_type, version: version.version } } }))
        : [],
    `${version.id}|${version.stage}|${open}`,
  );
  return (
    <details onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>history of {version.version}</summary>
      <ErrorMessage error={history.error} />
      <ul>
        {(history.data ?? []).map((change) => (
          <li key={change.id}>
            {dateTime(change.changed_at)}: {change.from_stage} → {change.to_stage} by {change.changed_by}
            {change.reason ? ` (${change.reason})` : ''}
          </li>
        ))}
      </ul>
    </details>
  );
}

function Promote({ version, onChanged }: { version: ModelVersion; onChanged: () => Promise<void> }) {
  const [stage, setStage] = useState<Stage>(version.stage === 'production' ? 'archived' : 'production');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const selectId = useId();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      unwrap(
        await api.POST('/api/v1/models/{model_type}/versions/{version}/promote', {
          params: { path: { model_type: version.model_type, version: version.version } },
          body: { stage, reason: 'changed from the dashboard' },
        }),
      );
      setConfirming(false);
      await onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="promote">
      <label htmlFor={selectId} className="visually-hidden">
        New stage for {version.version}
      </label>
      <select id={selectId} value={stage} onChange={(event) => setStage(event.target.value as Stage)}>
        {STAGES.filter((value) => value !== version.stage).map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => setConfirming(true)} aria-label={`Move ${version.version} to the chosen stage`}>
        Move…
      </button>
      {!confirming && <ErrorMessage error={error} />}
      {confirming && (
        <ConfirmDialog title={`Move ${version.model_type} ${version.version} to ${stage}`} confirmLabel={`Move to ${stage}`} busy={busy} onConfirm={() => void confirm()} onCancel={() => setConfirming(false)}>
          <p>
            {stage === 'production'
              ? `${version.model_type} ${version.version} will become the production version; the current production version is archived.`
              : `${version.model_type} ${version.version} moves from ${version.stage} to ${stage}.`}
          </p>
          <ErrorMessage error={error} />
        </ConfirmDialog>
      )}
    </div>
  );
}
