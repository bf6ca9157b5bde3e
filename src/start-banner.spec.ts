import { describe, expect, it } from 'vitest';
import { startBanner } from './start-banner.js';

describe('startBanner', () => {
  it('names the URLs, the token and how to get more', () => {
    expect(startBanner({ url: 'http://127.0.0.1:3000', adminToken: 'T0K', dashboard: true })).toBe(
      '\n  model-ab is running\n' +
        '    API          http://127.0.0.1:3000/api/v1\n' +
        '    Swagger UI   http://127.0.0.1:3000/docs\n' +
        '    Dashboard    http://127.0.0.1:3000/login#token=T0K\n' +
        '    Admin token  T0K   (sub "admin", valid 30 days)\n' +
        '    More tokens  npm run -s token -- --sub alice --role admin   (roles: admin, service, user)\n\n',
    );
  });

  it('names the token file instead of the token when stderr is not a terminal', () => {
    const text = startBanner({ url: 'http://h:1', adminToken: 'SECRET', tokenFile: 'data/admin-token', showToken: false, dashboard: true });
    expect(text).not.toContain('SECRET');
    expect(text).toContain('    Admin token  in data/admin-token   (sub "admin", valid 30 days)\n');
    expect(text).toContain('    Dashboard    http://h:1/login#token=<the admin token>\n');
  });

  it('leaves out the dashboard until it is served, and the token in production', () => {
    const text = startBanner({ url: 'http://h:1', adminToken: null, dashboard: true });
    expect(text).not.toMatch(/Dashboard|Admin token/);
    expect(startBanner({ url: 'http://h:1', adminToken: 'T', dashboard: false })).not.toContain('Dashboard');
  });

  it('leaves out Swagger UI when it is switched off', () => {
    expect(startBanner({ url: 'http://h:1', adminToken: null, dashboard: false, swagger: false })).not.toContain('Swagger');
  });
});
