import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyStatic from '@fastify/static';
import { sendError } from '../common/errors/all-exceptions.filter.js';
import { DomainError } from '../common/errors/domain-error.js';

/** The paths the single-page app answers with its index.html (it routes on the client). */
export const DASHBOARD_PAGES = ['/', '/login', '/models', '/ab-tests/*'] as const;

/** Where `npm run build` puts the dashboard (vite, web/ → dist/web). */
export function defaultDashboardDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the dashboard module');
    dir = parent;
  }
  return path.join(dir, 'dist', 'web');
}

export interface DashboardOptions {
  dir: string;
  /** Headers of the dashboard's pages (a CSP without 'unsafe-inline'), replacing the API's. */
  pageHeaders: Record<string, string>;
  errorLogger: Logger;
}

/**
 * Serves the dashboard: hashed assets under /assets/ cached for a year (their names change with
 * their content), and index.html — never cached, so a new build is picked up at once — for every
 * page path, so deep links work on reload.
 */
export async function registerDashboard(app: NestFastifyApplication, options: DashboardOptions): Promise<void> {
  const { dir, pageHeaders, errorLogger } = options;
  await app.register(fastifyStatic, {
    root: path.join(dir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: 365 * 24 * 60 * 60 * 1000,
    preCompressed: true,
    setHeaders: (reply) => {
      reply.headers(pageHeaders);
    },
  });
  let indexHtml: Buffer | null = null;
  const fastify = app.getHttpAdapter().getInstance();
  for (const page of DASHBOARD_PAGES) {
    fastify.get(page, async (request, reply) => {
      try {
        indexHtml ??= await fs.readFile(path.join(dir, 'index.html'));
      } catch {
        return sendError(
          new DomainError('DASHBOARD_NOT_BUILT', 'The dashboard has not been built: run `npm run build` (npm start does it)'),
          request,
          reply,
          errorLogger,
        );
      }
      return reply.headers(pageHeaders).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml);
    });
  }
}
