import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/*
 * The README's command blocks marked `<!-- readme-check -->` run as written, in order, twice in a
 * row, against a freshly started service (what a newcomer pastes): every curl must succeed (2xx)
 * both times. Only the host:port and the `TOKEN=...` placeholders are filled in. The example
 * outputs they show must be true: every key of a `# → {…}` line appears in what the blocks print,
 * and the deploy example's sha256 and size are the shipped file's.
 */
const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython) {
  if (process.env.CI === 'true') throw new Error('python3 is required in CI (the README runs scripts/deploy_model.py)');
  console.log('[readme] skipped: no python3 on this machine (the README runs scripts/deploy_model.py)');
}

async function readmeBlocks(): Promise<string[]> {
  const text = await fs.readFile('README.md', 'utf8');
  return [...text.matchAll(/<!-- readme-check -->\n```bash\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe.skipIf(!hasPython)('README command blocks', () => {
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = path.join(inject('testTmpDir'), 'readme-data');
    server = await startServerProcess({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
  });
  afterAll(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('run twice in a row on a fresh start, and show true outputs', { timeout: 480_000 }, async () => {
    const blocks = await readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const script = [
      'set -euo pipefail',
      // Any non-2xx answer fails the run (with its body shown); a newline after each answer.
      'curl() { command curl --fail-with-body -sS "$@"; echo; }',
      ...blocks.map((block) =>
        block
          .split('\n')
          .filter((line) => !/^(export )?(TOKEN|MODEL_AB_TOKEN)=\.\.\./.test(line))
          .join('\n')
          .replaceAll('http://127.0.0.1:3000', server.url),
      ),
    ].join('\n');
    const env = { ...process.env, DATA_DIR: dataDir, TOKEN: server.adminToken!, MODEL_AB_TOKEN: server.adminToken!, MODEL_AB_URL: server.url, CI: '' };
    const outputs: string[] = [];
    for (const run of [1, 2]) {
      const result = spawnSync('bash', ['-c', script], { env, encoding: 'utf8', timeout: 240_000 });
      expect(result.status, `run ${run} failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`).toBe(0);
      outputs.push(result.stdout);
    }

    const readme = await fs.readFile('README.md', 'utf8');
    // What the blocks printed, for whoever updates the README's example outputs.
    await fs.writeFile(path.join(os.tmpdir(), 'model-ab-readme-run.txt'), outputs.join('\n=== run 2 ===\n'));
    for (const [i, output] of outputs.entries()) {
      for (const line of blocks.join('\n').match(/^# → .*$/gm) ?? []) {
        for (const [, key] of line.matchAll(/"(\w+)":/g)) expect(output, `run ${i + 1}: key "${key}" of "${line}"`).toContain(`"${key}":`);
      }
      expect(output).toMatch(/recommendation: \w+/);
    }
    const bytes = await fs.readFile('models/safety_classifier_v2.onnx');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(readme).toContain(`  sha256  ${sha256}\n  size    ${bytes.length} bytes`);
    expect(outputs[1]).toContain(`  sha256  ${sha256}`);
  });
});
