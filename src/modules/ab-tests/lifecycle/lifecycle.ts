/** The life of an A/B test. Only active tests assign new users; paused tests serve a to everyone. */
export const AB_TEST_STATUSES = ['draft', 'active', 'paused', 'completed'] as const;
export type AbTestStatus = (typeof AB_TEST_STATUSES)[number];

/** Statuses in which a test routes traffic; at most one test per model type is in one of them. */
export const RUNNING_STATUSES: readonly AbTestStatus[] = ['active', 'paused'];

export const LIFECYCLE_ACTIONS = ['start', 'pause', 'complete', 'change_traffic_split'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/** What the audit log calls each change. */
export type AbTestEventAction = 'created' | 'started' | 'resumed' | 'paused' | 'completed' | 'traffic_split_changed';

/**
 * The whole state machine: (status, action) → next status. A missing entry is an illegal transition
 * (409 INVALID_TRANSITION). Ramping the split keeps the status and is refused once completed.
 */
export const TRANSITIONS: Readonly<Record<AbTestStatus, Readonly<Partial<Record<LifecycleAction, AbTestStatus>>>>> = {
  draft: { start: 'active', change_traffic_split: 'draft' },
  active: { pause: 'paused', complete: 'completed', change_traffic_split: 'active' },
  paused: { start: 'active', complete: 'completed', change_traffic_split: 'paused' },
  completed: {},
};

export function nextStatus(status: AbTestStatus, action: LifecycleAction): AbTestStatus | null {
  return TRANSITIONS[status][action] ?? null;
}

export function allowedActions(status: AbTestStatus): LifecycleAction[] {
  return LIFECYCLE_ACTIONS.filter((action) => TRANSITIONS[status][action] !== undefined);
}

/** The audit action for a legal transition (start from paused is a resume). */
export function eventAction(from: AbTestStatus, action: LifecycleAction): AbTestEventAction {
  switch (action) {
    case 'start':
      return from === 'paused' ? 'resumed' : 'started';
    case 'pause':
      return 'paused';
    case 'complete':
      return 'completed';
    case 'change_traffic_split':
      return 'traffic_split_changed';
    default: {
      const unreachable: never = action;
      throw new Error(`unknown lifecycle action ${String(unreachable)}`);
    }
  }
}
