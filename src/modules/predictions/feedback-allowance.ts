import { BoundedCache } from '../../common/bounded-cache.js';

/** Users whose window is tracked at once (two generations of this many; ~100 B each). */
const TRACKED_USERS = 50_000;

interface Window {
  startedAt: number;
  used: number;
}

/**
 * How many feedbacks each user may give per window: a fixed window per user, started by their
 * first feedback. Per instance and in memory (a user's feedback cannot leave a bound that is
 * `limit × instances`); a user pushed out of the bounded table starts a new window, which takes as
 * many distinct verified users as the table holds.
 */
export class FeedbackAllowance {
  private readonly windows = new BoundedCache<string, Window>(TRACKED_USERS);

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one feedback by `user`: null when allowed, else the whole seconds until the window ends. */
  take(user: string): number | null {
    if (this.limit === 0) return null;
    const now = this.now();
    let window = this.windows.get(user);
    if (!window || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, used: 0 };
      this.windows.set(user, window);
    }
    if (window.used >= this.limit) return Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
    window.used++;
    return null;
  }
}
