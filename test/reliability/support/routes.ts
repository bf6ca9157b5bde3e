import { randomUUID } from 'node:crypto';
import type { Role } from '../../../src/auth/roles.js';

/** A route as the router registered it: `GET /api/v1/ab-tests/:test_id`. HEAD twins of GETs are folded in. */
export type RouteKey = string;

/** Collects routes from CreateAppOptions.onRoute. */
export class RouteRecorder {
  private readonly seen = new Set<RouteKey>();

  readonly onRoute = (route: { method: string | string[]; url: string }): void => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method === 'HEAD') continue; // Fastify adds one per GET; covered by the GET's entry.
      this.seen.add(`${method} ${route.url}`);
    }
  };

  get routes(): RouteKey[] {
    return [...this.seen].sort();
  }
}

export type Access = 'public' | readonly Role[];

export interface RouteSpec {
  /** Who may call it; every other role gets 403, every bad token 401. */
  access: Access;
  /**
   * The smallest request that gets past authentication without changing anything (unknown ids →
   * 404, empty bodies → 400): an allowed role proves it passed the auth layer with any answer but
   * 401/403.
   */
  probe?: { query?: string; body?: unknown; path?: string };
}

const ANY: readonly Role[] = ['admin', 'service', 'user'];
const ADMIN: readonly Role[] = ['admin'];
const ADMIN_SERVICE: readonly Role[] = ['admin', 'service'];
const USER_SERVICE: readonly Role[] = ['user', 'service'];

/**
 * Every route the app serves, with who may call it. A route the router registers that has no entry
 * here fails the access-control suite: deciding who may call a new route is part of adding it.
 */
export const ROUTE_TABLE: Record<RouteKey, RouteSpec> = {
  // Public: liveness, readiness, Prometheus, Swagger UI and its assets.
  'GET /health': { access: 'public' },
  'GET /health/ready': { access: 'public' },
  'GET /metrics': { access: 'public' },
  'GET /docs': { access: 'public' },
  'GET /docs/': { access: 'public' },
  'GET /docs/*': { access: 'public', probe: { path: '/docs/swagger-ui.css' } },
  'GET /docs/index.html': { access: 'public' },
  'GET /docs/LICENSE': { access: 'public' },
  'GET /docs/swagger-ui-init.js': { access: 'public' },
  'GET /docs/docs/swagger-ui-init.js': { access: 'public' },
  'GET /docs-json': { access: 'public' },
  'GET /docs-yaml': { access: 'public' },
  // The dashboard: its pages (the single-page app's index.html) and hashed assets; data comes from the API.
  'GET /': { access: 'public' },
  'GET /login': { access: 'public' },
  'GET /models': { access: 'public' },
  'GET /ab-tests/*': { access: 'public', probe: { path: '/ab-tests/new' } },
  'GET /assets/*': { access: 'public', probe: { path: '/assets/missing.js' } },

  'GET /api/v1/auth/me': { access: ANY },
  // The dashboard's session: who is signed in (never 401), sign in with a token, sign out.
  'GET /api/v1/auth/session': { access: 'public' },
  'POST /api/v1/auth/session': { access: ANY },
  'DELETE /api/v1/auth/session': { access: ANY },
  // Sign-in through the identity provider (browser navigations; 404 here, where OIDC_CLIENT_ID is not set).
  'GET /api/v1/auth/oidc/login': { access: 'public' },
  'GET /api/v1/auth/oidc/callback': { access: 'public' },

  // Model registry.
  'POST /api/v1/models': { access: ADMIN, probe: { body: {} } },
  'GET /api/v1/models': { access: ANY },
  'GET /api/v1/models/:model_type': { access: ANY },
  'POST /api/v1/models/:model_type/versions': { access: ADMIN, probe: { body: {} } },
  'GET /api/v1/models/:model_type/versions': { access: ANY },
  'GET /api/v1/models/:model_type/versions/:version': { access: ANY },
  'GET /api/v1/models/:model_type/versions/:version/artifact': { access: ADMIN_SERVICE },
  'POST /api/v1/models/:model_type/versions/:version/promote': { access: ADMIN, probe: { body: {} } },
  'GET /api/v1/models/:model_type/versions/:version/stage-changes': { access: ANY },

  // A/B tests.
  'POST /api/v1/ab-tests': { access: ADMIN, probe: { body: {} } },
  'GET /api/v1/ab-tests': { access: ADMIN_SERVICE },
  'GET /api/v1/ab-tests/user/variant': { access: ANY, probe: { query: 'model_type=safety_classifier' } },
  'GET /api/v1/ab-tests/:test_id': { access: ADMIN_SERVICE },
  'GET /api/v1/ab-tests/:test_id/events': { access: ADMIN_SERVICE },
  'POST /api/v1/ab-tests/:test_id/start': { access: ADMIN },
  'POST /api/v1/ab-tests/:test_id/pause': { access: ADMIN },
  'POST /api/v1/ab-tests/:test_id/complete': { access: ADMIN, probe: { body: { winner: null } } },
  'PATCH /api/v1/ab-tests/:test_id/traffic-split': { access: ADMIN, probe: { body: {} } },
  'POST /api/v1/ab-tests/:test_id/metrics': { access: ADMIN_SERVICE, probe: { body: {} } },
  'GET /api/v1/ab-tests/:test_id/results': { access: ADMIN_SERVICE },
  'GET /api/v1/ab-tests/:test_id/timeseries': { access: ADMIN_SERVICE, probe: { query: 'metric=latency_ms' } },
  'GET /api/v1/ab-tests/:test_id/disagreements': { access: ADMIN_SERVICE },
  'POST /api/v1/ab-tests/:test_id/graduate': { access: ADMIN, probe: { body: {} } },

  // Application services: checks and messages are made for users (by them or by a service).
  'POST /api/v1/safety/check': { access: USER_SERVICE, probe: { body: {} } },
  'POST /api/v1/conversations/messages': { access: USER_SERVICE, probe: { body: {} } },
  'GET /api/v1/conversations/:conversation_id': { access: ANY },
  'POST /api/v1/predictions/:prediction_id/feedback': { access: ANY, probe: { body: {} } },
};

/** Values for path parameters that name nothing (so allowed roles get 404, never a change). */
export function probePath(route: RouteKey): string {
  const path = route.slice(route.indexOf(' ') + 1);
  return path
    .replace(/:model_type\b/g, 'safety_classifier')
    .replace(/:version\b/g, 'v9.9.9')
    .replace(/:(\w+_id)\b/g, () => randomUUID());
}

export function methodOf(route: RouteKey): string {
  return route.slice(0, route.indexOf(' '));
}

export function pathOf(route: RouteKey): string {
  return route.slice(route.indexOf(' ') + 1);
}

export function isWrite(route: RouteKey): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(methodOf(route));
}
