import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('client/schema.d.ts (the types the client and the dashboard share) is generated from the committed openapi.json (run `npm run client`)', async () => {
  const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'client-schema-')), 'schema.d.ts');
  await promisify(execFile)(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', 'openapi.json', '-o', out]);
  expect(await fs.readFile('client/schema.d.ts', 'utf8')).toBe(await fs.readFile(out, 'utf8'));
  await fs.rm(path.dirname(out), { recursive: true });
}, 30_000);
