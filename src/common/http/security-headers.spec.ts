import { describe, expect, it } from 'vitest';
import { dashboardSecurityHeaders, securityHeaders } from './security-headers.js';

describe('securityHeaders', () => {
  it('precomputes helmet headers, including a CSP that lets Swagger UI run', () => {
    const headers = securityHeaders();
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect(headers['x-powered-by']).toBeUndefined();
  });
});

describe('dashboardSecurityHeaders', () => {
  it('allows only same-origin scripts and styles, nothing inline, and no framing', () => {
    const csp = dashboardSecurityHeaders()['content-security-policy']!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(dashboardSecurityHeaders()['x-content-type-options']).toBe('nosniff');
  });

  it('leaves the API headers as they were', () => {
    expect(securityHeaders()['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
  });
});
