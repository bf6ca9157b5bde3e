import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The methods some route serves at this concrete path (empty: no route has the path). */
    allowedMethods(path: string): string[];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `/api/v1/ab-tests/:test_id/start` → a pattern matching any concrete path of the route. */
function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escapeRegExp(segment)))
    .join('/');
  return new RegExp(`^${source.replace(/\/$/, '')}/?$`);
}

/**
 * Records every route as the router registers it, so a request whose path exists under another
 * method can be answered 405 with `Allow` instead of 404 (see sendError).
 */
export function trackAllowedMethods(fastify: FastifyInstance): void {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  fastify.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
    routes.push({ pattern: routePattern(route.url), methods });
  });
  fastify.decorate('allowedMethods', (path: string): string[] => {
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) allowed.add(method);
    return [...allowed].sort();
  });
}
