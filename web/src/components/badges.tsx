import type { Decision, Stage, Status } from '../api';

const DECISION_TEXT: Record<Decision, string> = {
  keep_running: 'keep running',
  ship_b: 'ship b',
  keep_a: 'keep a',
  no_difference: 'no difference',
  stop_guardrail: 'guardrail stop',
  ready_for_ab: 'ready for A/B',
  keep_shadowing: 'keep shadowing',
};

export function decisionText(decision: Decision): string {
  return DECISION_TEXT[decision];
}

/** Badges always carry their meaning in text; colour only repeats it. */
export function DecisionBadge({ decision }: { decision: Decision }) {
  return <span className={`badge decision-${decision}`}>{DECISION_TEXT[decision]}</span>;
}

export function StatusBadge({ status }: { status: Status }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/** Shadow tests serve a to everyone; the badge says so wherever a split would suggest otherwise. */
export function ShadowBadge() {
  return (
    <span className="badge mode-shadow" title="Shadow test: everyone is served a; b runs on the same inputs, unseen">
      shadow
    </span>
  );
}

export function SrmBadge() {
  return (
    <span className="badge srm" title="Sample-ratio mismatch: assignments do not match the traffic split">
      ⚠ SRM
    </span>
  );
}

export function StageBadge({ stage }: { stage: Stage }) {
  return <span className={`badge stage-${stage}`}>{stage}</span>;
}
