import type { AuthUser } from './roles.js';

/** Tokens remembered at once; a user token is ~200 bytes, so ~5 MB at most with its claims. */
export const VERIFIED_TOKENS_MAX = 10_000;

interface Entry {
  user: AuthUser;
  /** The token's `exp`, in milliseconds: the entry is dead from then on. */
  expiresAtMs: number;
}

/**
 * Tokens that were verified, keyed by the whole token string, so a client that sends the same
 * bearer token on every request pays for signature verification once rather than per request. A
 * wrapper around whatever verifies: it only remembers the verifier's successful answers.
 *
 * - Keyed by the full token: a token that differs in any byte (signature included) is a miss.
 * - An entry lives until the token's `exp` (as jsonwebtoken, expired from `exp` itself on); tokens
 *   without a numeric `exp` are never remembered.
 * - Bounded: at most VERIFIED_TOKENS_MAX entries; when full, expired entries go first, then the
 *   oldest inserted.
 * - `clear()` whenever the verification keys change (rotation): a token verified under a key that
 *   is gone must be verified again. A verification that started before a `clear()` is not
 *   remembered when it ends (`remember` takes the `epoch` read when it started).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly maxEntries = VERIFIED_TOKENS_MAX,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): AuthUser | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.now() < entry.expiresAtMs) return entry.user;
    this.entries.delete(token);
    return undefined;
  }

  /** Bumped by every `clear()`: read it before verifying and hand it to `remember`. */
  get epoch(): number {
    return this.generation;
  }

  /** Remembers a verified token's user, until the token's `exp` (unless the keys changed since `epoch`). */
  remember(token: string, user: AuthUser, epoch = this.generation): void {
    if (epoch !== this.generation) return;
    const exp = user.claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return;
    const expiresAtMs = exp * 1000;
    if (this.now() >= expiresAtMs) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) this.makeRoom();
    this.entries.set(token, { user, expiresAtMs });
  }

  /** Forgets every token (call on key rotation). */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(): void {
    const now = this.now();
    for (const [token, entry] of this.entries) if (now >= entry.expiresAtMs) this.entries.delete(token);
    // Still full: drop the oldest tenth in insertion order, so the sweep above runs once per
    // maxEntries / 10 insertions rather than on every one.
    if (this.entries.size >= this.maxEntries) {
      let drop = Math.max(1, Math.floor(this.maxEntries / 10));
      for (const token of this.entries.keys()) {
        this.entries.delete(token);
        if (--drop === 0) break;
      }
    }
  }
}
