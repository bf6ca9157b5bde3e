import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { isRole, ROLES } from './roles.js';
import { secretKey, signToken } from './token-signer.js';

const usage = `Usage: npm run token -- --sub <user id> --role <admin|service|user> [--role …] [--ttl 24h]
Prints a bearer token signed with JWT_SECRET (or the secret the server keeps in DATA_DIR).`;

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
  if (!/^\d+$|^\d+(ms|s|m|h|d|w|y)$/.test(values.ttl)) throw new Error(`--ttl must look like 15m, 24h, 30d or a number of seconds`);
  const config = loadConfig();
  const { secret } = await resolveJwtSecret(config.jwtSecret, config.dataDir);
  const ttl = /^\d+$/.test(values.ttl) ? Number(values.ttl) : values.ttl;
  console.log(signToken(secretKey(secret), { sub: values.sub, roles: roles.filter(isRole), ttl }));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
});
