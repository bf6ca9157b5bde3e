import { Controller, Get, Logger, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiQuery, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../common/errors/all-exceptions.filter.js';
import { ErrorBody } from '../common/errors/error-body.js';
import { toErrorResponse } from '../common/errors/to-error-response.js';
import { dashboardSecurityHeaders } from '../common/http/security-headers.js';
import { clearedLoginCookie, loginCookie, loginCookieOf } from './oidc-login-transaction.js';
import { OidcSignIn, type CallbackQuery } from './oidc-sign-in.service.js';
import { sessionCookie } from './session-cookie.js';

const PAGE_HEADERS = dashboardSecurityHeaders();

const errorContent = {
  'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } },
  'text/html': { schema: { type: 'string', description: 'A page saying what went wrong, with a link back to /login (when the request accepts text/html: a browser)' } },
};

/**
 * The dashboard's sign-in through the OpenID provider (when OIDC_CLIENT_ID is set): `/login`
 * links to `GET /api/v1/auth/oidc/login`, the provider sends the browser back to the callback,
 * and the callback ends in the same HttpOnly SameSite=Strict session cookie as a token sign-in.
 * Both are browser navigations: failures are a page (or the JSON error for API clients) and a log line.
 */
@ApiTags('auth')
@ApiExtraModels(ErrorBody)
@Controller('auth/oidc')
export class OidcSignInController {
  private readonly log = new Logger('OidcSignIn');

  constructor(private readonly signIn: OidcSignIn) {}

  @Get('login')
  @ApiOperation({
    summary: 'Start a dashboard sign-in at the identity provider',
    description:
      'Answers a page that sends the browser on to the provider’s authorization endpoint at once (authorization code flow, PKCE ' +
      'S256, a fresh `state`; a meta refresh and a link), and sets a 10-minute HttpOnly login cookie holding the state and code ' +
      'verifier, encrypted. Needs OIDC_ISSUER and OIDC_CLIENT_ID.',
  })
  @ApiResponse({
    status: 200,
    description: 'A page that continues to the provider’s authorization URL (its meta refresh and its link `a#continue`); Set-Cookie carries the login cookie',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 404, description: 'OIDC_SIGN_IN_NOT_CONFIGURED: no OIDC_CLIENT_ID', content: errorContent })
  @ApiResponse({ status: 503, description: 'IDENTITY_PROVIDER_UNAVAILABLE: the provider’s discovery document has not been read yet', content: errorContent })
  login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const secure = request.protocol === 'https';
    try {
      const { location, sealed } = this.signIn.start(`${request.protocol}://${request.host}`);
      const name = this.signIn.providerName ?? 'the identity provider';
      this.page(reply, 200, onwardPage(`Signing in with ${name}`, location, `Continue to ${name}`), loginCookie(sealed, secure));
    } catch (error) {
      this.fail(error, request, reply, null);
    }
  }

  @Get('callback')
  @ApiOperation({
    summary: 'Finish a dashboard sign-in (the provider redirects here)',
    description:
      'Checks `state` against this browser’s login cookie, redeems the code at the provider’s token endpoint with the PKCE ' +
      'verifier (and the client secret, when set), verifies the access token like any bearer token (provider signature, iss, aud, ' +
      'exp, roles), sets the session cookie and sends the browser on to the dashboard. Register this URL (or OIDC_REDIRECT_URI) at the provider.',
  })
  @ApiQuery({ name: 'code', required: false, description: 'The authorization code', schema: { type: 'string' } })
  @ApiQuery({ name: 'state', required: false, description: 'Must be the state this browser’s sign-in sent', schema: { type: 'string' } })
  @ApiQuery({ name: 'error', required: false, description: 'The provider’s error instead of a code (`access_denied`, …)', schema: { type: 'string' } })
  @ApiQuery({ name: 'error_description', required: false, schema: { type: 'string' } })
  @ApiQuery({ name: 'iss', required: false, description: 'The provider’s issuer (RFC 9207); when present it must be OIDC_ISSUER', schema: { type: 'string' } })
  @ApiResponse({
    status: 200,
    description:
      'Signed in: a page that continues to the dashboard (`/`) at once, so the SameSite=Strict session cookie set here (Set-Cookie, ' +
      'with the login cookie cleared) goes with a navigation from this site rather than with the provider’s cross-site redirect',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiResponse({
    status: 400,
    description:
      'OIDC_SIGN_IN_EXPIRED: no sign-in in progress in this browser (no login cookie, so no code verifier); OIDC_STATE_MISMATCH; ' +
      'OIDC_CODE_REJECTED: the provider refused the code (used before, expired, wrong verifier)',
    content: errorContent,
  })
  @ApiResponse({
    status: 401,
    description: 'OIDC_SIGN_IN_REFUSED: the provider answered with an error; TOKEN_INVALID or TOKEN_EXPIRED: its token is not accepted (audience, roles, …)',
    content: errorContent,
  })
  @ApiResponse({ status: 404, description: 'OIDC_SIGN_IN_NOT_CONFIGURED: no OIDC_CLIENT_ID', content: errorContent })
  @ApiResponse({ status: 503, description: 'IDENTITY_PROVIDER_UNAVAILABLE: the provider’s token endpoint or keys cannot be reached', content: errorContent })
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const secure = request.protocol === 'https';
    const sealed = loginCookieOf(request.headers.cookie);
    try {
      const { user, token } = await this.signIn.finish((request.query ?? {}) as CallbackQuery, sealed);
      const exp = typeof user.claims.exp === 'number' ? user.claims.exp : Math.floor(Date.now() / 1000);
      this.log.log(`dashboard sign-in through the identity provider: ${user.sub} (${user.roles.join(', ')}) [${String(request.id)}]`);
      this.page(reply, 200, onwardPage(`Signed in as ${user.sub}`, '/', 'Continue to the dashboard'), [
        sessionCookie({ token, maxAgeSeconds: exp - Math.floor(Date.now() / 1000), secure }),
        clearedLoginCookie(secure),
      ]);
    } catch (error) {
      // A mismatched state is not this browser's sign-in answering: its own sign-in stays usable.
      const code = toErrorResponse(error).body.code;
      this.fail(error, request, reply, sealed && code !== 'OIDC_STATE_MISMATCH' ? clearedLoginCookie(secure) : null);
    }
  }

  private page(reply: FastifyReply, status: number, html: string, setCookie: string | string[] | null): void {
    if (setCookie) void reply.header('set-cookie', setCookie);
    void reply.status(status).headers(PAGE_HEADERS).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  }

  /** A log line, then a page for browsers or the JSON error for API clients. */
  private fail(error: unknown, request: FastifyRequest, reply: FastifyReply, setCookie: string | null): void {
    const { status, body, unexpected } = toErrorResponse(error);
    if (!unexpected) this.log.warn(`dashboard sign-in failed [${String(request.id)}]: ${status} ${body.code}: ${body.message}`);
    if (unexpected || !String(request.headers.accept ?? '').includes('text/html')) {
      if (setCookie) void reply.header('set-cookie', setCookie);
      void reply.header('cache-control', 'no-store');
      return sendError(error, request, reply, this.log);
    }
    this.page(reply, status, errorPage(status, body.code, body.message, String(request.id)), setCookie);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlDocument(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${head}<title>${escapeHtml(title)} · model-ab</title><link rel="icon" href="data:,"></head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * A page that goes on to `url` at once (meta refresh; the link for a browser that does not follow
 * it). No script and no style, so the dashboard's CSP holds.
 */
export function onwardPage(heading: string, url: string, linkText: string): string {
  return htmlDocument(heading, `<meta http-equiv="refresh" content="0; url=${escapeHtml(url)}">`, `<h1>${escapeHtml(heading)}</h1>\n<p><a id="continue" href="${escapeHtml(url)}">${escapeHtml(linkText)}</a></p>`);
}

/** A plain page that says what failed and how to go on. */
export function errorPage(status: number, code: string, message: string, requestId: string): string {
  return htmlDocument(
    'Sign-in failed',
    '',
    `<h1>Sign-in failed</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>Error <code>${escapeHtml(code)}</code> (HTTP ${status}); request id <code>${escapeHtml(requestId)}</code> — the service’s log has the same line.</p>
<p><a href="/login">Back to sign-in</a></p>`,
  );
}
