import type { FastifyRequest } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import rateLimit from '@fastify/rate-limit';

export interface WriteRateLimits {
  /** Writes per minute for user tokens, and per address for callers without a verified token; 0 = no limit. */
  perUserToken: number;
  /** Writes per minute for service and admin tokens (backends calling for many users); 0 = no limit. */
  perServiceToken: number;
}

/** The verified caller the authentication hook puts on the request (structurally: common/ knows no auth types). */
interface VerifiedCaller {
  sub: string;
  roles: readonly string[];
}

/** Counters kept per partition; the oldest caller is forgotten first. */
const IDENTITY_KEYS = 50_000;
const ADDRESS_KEYS = 10_000;
const ADDRESS_PREFIX = 'ip:';

export type CallerClass = 'service' | 'user' | 'anonymous';

/**
 * Which allowance a write counts against: a verified caller by identity — `sub` plus role class,
 * whatever token string carries them — and anyone else (no token, a bad token, a public route)
 * by address, in a partition of its own.
 */
export function rateLimitKey(caller: VerifiedCaller | undefined, address: string): { key: string; callerClass: CallerClass } {
  if (!caller) return { key: `${ADDRESS_PREFIX}${address}`, callerClass: 'anonymous' };
  const callerClass = caller.roles.includes('service') || caller.roles.includes('admin') ? 'service' : 'user';
  return { key: `${callerClass}:${caller.sub}`, callerClass };
}

interface Counter {
  current: number;
  ttl: number;
  iterationStartMs: number;
}

/** A fixed-window counter store with a bounded, least-recently-used key set. */
class BoundedCounters {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly capacity: number) {}

  incr(key: string, timeWindow: number): Counter {
    const now = Date.now();
    let counter = this.counters.get(key);
    if (counter) this.counters.delete(key);
    if (!counter || counter.iterationStartMs + timeWindow <= now) counter = { current: 0, ttl: timeWindow, iterationStartMs: now };
    counter.current++;
    counter.ttl = timeWindow - (now - counter.iterationStartMs);
    this.counters.set(key, counter);
    if (this.counters.size > this.capacity) this.counters.delete(this.counters.keys().next().value!);
    return counter;
  }
}

/**
 * @fastify/rate-limit store with two partitions: verified callers, and addresses. A flood of
 * requests with random tokens (or from many addresses) can only evict address counters, never
 * reset a verified caller's spent allowance.
 */
class PartitionedStore {
  private readonly identities = new BoundedCounters(IDENTITY_KEYS);
  private readonly addresses = new BoundedCounters(ADDRESS_KEYS);

  incr(key: string, callback: (error: Error | null, result: { current: number; ttl: number }) => void, timeWindow: number): void {
    const counters = key.startsWith(ADDRESS_PREFIX) ? this.addresses : this.identities;
    const { current, ttl } = counters.incr(key, timeWindow);
    callback(null, { current, ttl });
  }

  child(): PartitionedStore {
    return new PartitionedStore();
  }
}

function isRead(request: FastifyRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
}

/**
 * Per-caller limit on write routes (429 with Retry-After). Runs after the authentication hook,
 * so it sees the verified caller. Reads — variant lookups, results — are never limited and stay on
 * the fast path. Counts are per instance.
 */
export async function registerWriteRateLimit(app: NestFastifyApplication, limits: WriteRateLimits): Promise<void> {
  if (limits.perUserToken === 0 && limits.perServiceToken === 0) return;
  const classes = new WeakMap<FastifyRequest, CallerClass>();
  const limitOf = (request: FastifyRequest) => (classes.get(request) === 'service' ? limits.perServiceToken : limits.perUserToken);
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    store: PartitionedStore as never,
    keyGenerator: (request) => {
      if (isRead(request)) return ''; // let through by allowList: nothing to do on the read hot path
      const { key, callerClass } = rateLimitKey((request as { user?: VerifiedCaller }).user, request.ip);
      classes.set(request, callerClass);
      return key;
    },
    max: limitOf,
    allowList: (request) => isRead(request) || limitOf(request) === 0,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Too many write requests: at most ${context.max} per minute per caller; retry in ${context.after}`), {
        statusCode: 429,
        code: 'FST_RATE_LIMITED',
      }),
  });
}
