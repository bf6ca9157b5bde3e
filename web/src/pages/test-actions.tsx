import { useId, useState, type FormEvent } from 'react';
import { api, unwrap, type AbTestDetail } from '../api';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorMessage } from '../components/error-message';

type Dialog = null | 'ramp' | 'complete';

/** Start, pause, resume, ramp and complete; every API error is shown beside the buttons in words. */
export function TestActions({ test, onChanged }: { test: AbTestDetail; onChanged: () => Promise<void> }) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const path = { params: { path: { test_id: test.test_id } } };

  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      await onChanged();
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const { status } = test;
  return (
    <section className="actions-panel" aria-labelledby="actions-heading">
      <h2 id="actions-heading">Actions</h2>
      <div className="actions">
        {status === 'draft' && (
          <button type="button" className="primary" disabled={busy} onClick={() => void run(async () => unwrap(await api.POST('/api/v1/ab-tests/{test_id}/start', path)))}>
            Start test
          </button>
        )}
        {status === 'active' && (
          <button type="button" disabled={busy} onClick={() => void run(async () => unwrap(await api.POST('/api/v1/ab-tests/{test_id}/pause', path)))}>
            Pause test
          </button>
        )}
        {status === 'paused' && (
          <button type="button" className="primary" disabled={busy} onClick={() => void run(async () => unwrap(await api.POST('/api/v1/ab-tests/{test_id}/start', path)))}>
            Resume test
          </button>
        )}
        {status !== 'completed' && test.mode !== 'shadow' && (
          <button type="button" disabled={busy} onClick={() => setDialog('ramp')}>
            Change traffic split…
          </button>
        )}
        {(status === 'active' || status === 'paused') && (
          <button type="button" disabled={busy} onClick={() => setDialog('complete')}>
            Complete test…
          </button>
        )}
      </div>
      <ErrorMessage error={dialog ? undefined : error} />
      {dialog === 'ramp' && (
        <RampDialog
          test={test}
          busy={busy}
          error={error}
          onCancel={() => {
            setDialog(null);
            setError(undefined);
          }}
          onSubmit={async (b) => {
            const ok = await run(async () => unwrap(await api.PATCH('/api/v1/ab-tests/{test_id}/traffic-split', { ...path, body: { a: Number((1 - b).toFixed(6)), b } })));
            if (ok) setDialog(null);
          }}
        />
      )}
      {dialog === 'complete' && (
        <CompleteDialog
          test={test}
          busy={busy}
          error={error}
          onCancel={() => {
            setDialog(null);
            setError(undefined);
          }}
          onSubmit={async (body) => {
            const ok = await run(async () => unwrap(await api.POST('/api/v1/ab-tests/{test_id}/complete', { ...path, body })));
            if (ok) setDialog(null);
          }}
        />
      )}
    </section>
  );
}

function RampDialog(props: { test: AbTestDetail; busy: boolean; error: unknown; onCancel: () => void; onSubmit: (b: number) => Promise<void> }) {
  const { test } = props;
  const [percentB, setPercentB] = useState(String(Math.round(test.traffic_split.b * 1000) / 10));
  const fieldId = useId();
  const b = Number(percentB) / 100;
  const valid = percentB.trim() !== '' && Number.isFinite(b) && b >= 0 && b <= 1;
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (valid) void props.onSubmit(b);
  };
  return (
    <ConfirmDialog title="Change the traffic split" confirmLabel="Apply split" busy={props.busy || !valid} onConfirm={() => submit()} onCancel={props.onCancel}>
      <form onSubmit={submit}>
        <label htmlFor={fieldId}>Share of new users sent to b (%)</label>
        <input id={fieldId} type="number" min={0} max={100} step={0.1} value={percentB} onChange={(event) => setPercentB(event.target.value)} aria-describedby={`${fieldId}-help`} />
        <p id={`${fieldId}-help`} className="help">
          a gets {valid ? `${Math.round((1 - b) * 1000) / 10}%` : '—'}. Assignment is sticky: users already assigned keep their variant; only users not
          yet assigned follow the new split. The split version goes from {test.split_version} to {test.split_version + 1}, and the sample-ratio
          check counts each assignment against the split in force when it was made.
        </p>
      </form>
      <ErrorMessage error={props.error} />
    </ConfirmDialog>
  );
}

function CompleteDialog(props: {
  test: AbTestDetail;
  busy: boolean;
  error: unknown;
  onCancel: () => void;
  onSubmit: (body: { winner: 'a' | 'b' | null; promote: boolean; notes?: string }) => Promise<void>;
}) {
  const { test } = props;
  const [winner, setWinner] = useState<'a' | 'b' | 'none'>('none');
  const [promote, setPromote] = useState(false);
  const [notes, setNotes] = useState('');
  const notesId = useId();
  const promoteId = useId();
  const version = winner === 'a' ? test.variant_a : winner === 'b' ? test.variant_b : null;
  const consequence =
    version && promote
      ? `${test.model_type} ${version} will become the production version (the current production version is archived).`
      : version
        ? `The test ends with winner ${winner} (${version}); production does not change.`
        : 'The test ends without a winner; production does not change.';
  return (
    <ConfirmDialog
      title="Complete the test"
      confirmLabel={version && promote ? `Complete and promote ${version}` : 'Complete test'}
      busy={props.busy}
      onConfirm={() => void props.onSubmit({ winner: winner === 'none' ? null : winner, promote: promote && winner !== 'none', ...(notes.trim() ? { notes: notes.trim() } : {}) })}
      onCancel={props.onCancel}
    >
      <fieldset>
        <legend>Winner</legend>
        {(['a', 'b', 'none'] as const).map((value) => (
          <label key={value} className="inline">
            <input type="radio" name="winner" value={value} checked={winner === value} onChange={() => setWinner(value)} />
            {value === 'none' ? 'no winner' : `${value} (${value === 'a' ? test.variant_a : test.variant_b})`}
          </label>
        ))}
      </fieldset>
      <label htmlFor={promoteId} className="inline">
        <input id={promoteId} type="checkbox" checked={promote} disabled={winner === 'none'} onChange={(event) => setPromote(event.target.checked)} />
        Promote the winner to production
      </label>
      <label htmlFor={notesId}>Notes</label>
      <textarea id={notesId} rows={3} value={notes} onChange={(event) => setNotes(event.target.value)} />
      <p className="consequence" role="status">
        {consequence}
      </p>
      <ErrorMessage error={props.error} />
    </ConfirmDialog>
  );
}
