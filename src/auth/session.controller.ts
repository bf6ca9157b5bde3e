import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated } from './authenticated.decorator.js';
import { CurrentUser } from './current-user.decorator.js';
import { MeResponse } from './auth.controller.js';
import type { AuthUser } from './roles.js';
import { clearedSessionCookie, sessionCookie } from './session-cookie.js';
import { Authenticator } from './authenticator.js';
import { AuthError } from './auth.errors.js';
import { parseBearer } from './request-token.js';
import { OidcSignIn } from './oidc-sign-in.service.js';

/** Default cookie lifetime for a token without an `exp` claim. */
const SESSION_WITHOUT_EXPIRY_SECONDS = 12 * 60 * 60;

export class SessionStatusResponse {
  @ApiProperty({ example: true, description: 'Whether the request carries a valid token (session cookie or bearer header)' })
  signed_in: boolean;

  @ApiProperty({ example: 'alice', nullable: true, type: String })
  sub: string | null;

  @ApiProperty({ example: ['admin'], enum: ['admin', 'service', 'user'], isArray: true })
  roles: string[];

  @ApiProperty({
    example: 'Example SSO',
    nullable: true,
    type: String,
    description: 'The identity provider the dashboard signs in with (OIDC_PROVIDER_NAME); null: sign in with a token',
  })
  provider: string | null;

  @ApiProperty({
    example: '/api/v1/auth/oidc/login',
    nullable: true,
    type: String,
    description: 'Where a browser starts the sign-in at the provider; null when OIDC_CLIENT_ID is not set',
  })
  provider_sign_in_url: string | null;
}

@ApiTags('auth')
@Controller('auth/session')
export class SessionController {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly oidcSignIn: OidcSignIn,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Whether the browser is signed in, and as whom',
    description:
      'Always 200 (also without a token, or with an expired or invalid one): the dashboard asks this on load to choose between the sign-in page and the app, ' +
      'and whether its sign-in page offers the identity provider (`provider`, `provider_sign_in_url`).',
  })
  @ApiOkResponse({ type: SessionStatusResponse })
  async status(@Req() request: FastifyRequest): Promise<SessionStatusResponse> {
    const user = await this.authenticator.authenticate(request).catch(() => null);
    const provider = this.oidcSignIn.providerName;
    const signIn = { provider, provider_sign_in_url: provider === null ? null : '/api/v1/auth/oidc/login' };
    return user ? { signed_in: true, sub: user.sub, roles: user.roles, ...signIn } : { signed_in: false, sub: null, roles: [], ...signIn };
  }

  @Post()
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    summary: 'Sign the browser in: turn the bearer token into a session cookie',
    description:
      'The dashboard calls this with the token from its sign-in link or form. The answer sets an HttpOnly, SameSite=Strict ' +
      'cookie (Secure over HTTPS) that ends when the token expires; later requests from the same origin are authenticated by it. ' +
      'Writes authenticated by the cookie must come from the same origin (Origin header), else 403 CSRF_REJECTED.',
  })
  @ApiOkResponse({ type: MeResponse, description: 'Signed in; Set-Cookie carries the session' })
  signIn(@CurrentUser() user: AuthUser, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): MeResponse {
    // The token to keep is the one in the Authorization header (a session cookie is not renewed by itself).
    const read = parseBearer(request.headers.authorization ?? '');
    if (read.kind !== 'token') throw AuthError.missingToken();
    const token = read.token;
    const exp = typeof user.claims.exp === 'number' ? user.claims.exp : null;
    const maxAgeSeconds = exp === null ? SESSION_WITHOUT_EXPIRY_SECONDS : exp - Math.floor(Date.now() / 1000);
    reply.header('set-cookie', sessionCookie({ token, maxAgeSeconds, secure: request.protocol === 'https' }));
    reply.header('cache-control', 'no-store');
    return { sub: user.sub, roles: user.roles, claims: user.claims };
  }

  @Delete()
  @HttpCode(204)
  // Authenticated like every write (the session cookie or a bearer token), so a cross-site page
  // cannot sign someone out and the write rate limit keys it by caller. An expired session needs
  // no sign-out: the cookie ends with the token.
  @Authenticated()
  @ApiOperation({ summary: 'Sign the browser out: clear the session cookie', description: 'Ends the dashboard session of this browser (the cookie is cleared); bearer tokens are not affected.' })
  @ApiNoContentResponse({ description: 'Signed out' })
  signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    reply.header('set-cookie', clearedSessionCookie(request.protocol === 'https'));
  }
}
