import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { parseDuration } from '../config/duration.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { isRole, ROLES } from './roles.js';
import { secretKey, signToken } from './token-signer.js';

const usage = `Usage: npm run token -- --sub <user id> --role <admin|service|user> [--role …] [--ttl 24h]
Prints a bearer token signed with JWT_SECRET (or the secret the server keeps in DATA_DIR), with
iss = JWT_ISSUER and aud = JWT_AUDIENCE. --ttl is at most JWT_MAX_TTL (default 30d).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '24h' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const roles = (values.role ?? []).flatMap((role) => role.split(',')).map((role) => role.trim());
  if (!values.sub || roles.length === 0) throw new Error(`--sub and --role are required\n${usage}`);
  const bad = roles.find((role) => !isRole(role));
  if (bad) throw new Error(`unknown role "${bad}"; roles are ${ROLES.join(', ')}`);
  const ttl = parseDuration(values.ttl);
  if (ttl === null) throw new Error(`--ttl must look like 15m, 24h, 30d or a number of seconds`);
  const config = loadConfig();
  if (ttl > config.jwtMaxTtlSeconds) {
    throw new Error(`--ttl ${values.ttl} is longer than JWT_MAX_TTL (${config.jwtMaxTtlSeconds} s): the service would refuse the token`);
  }
  const { secret } = await resolveJwtSecret(config.jwtSecret, config.dataDir);
  console.log(signToken(secretKey(secret), { sub: values.sub, roles: roles.filter(isRole), ttl, issuer: config.jwtIssuer, audience: config.jwtAudience }));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
});
