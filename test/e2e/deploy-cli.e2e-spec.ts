import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readShippedModel } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const hasPython = python.status === 0 && /Python 3\.(9|[1-9]\d)/.test(python.stdout + python.stderr);
if (!hasPython) {
  if (process.env.CI === 'true') throw new Error('python3 (>= 3.9) is required in CI for scripts/deploy_model.py');
  console.log('[deploy-cli] scripts/deploy_model.py skipped: no python3 >= 3.9 on this machine');
}

/*
 * Both deploy CLIs, one contract: `npm run deploy-model` (scripts/deploy-model.ts, as npm runs it
 * with tsx) and the seed's Python step (scripts/deploy_model.py, standard library only) take the
 * same flags and print the same output with the same exit codes.
 */
const CLIS: Array<{ name: string; command: [string, string[]]; available: boolean }> = [
  { name: 'npm run deploy-model', command: ['npx', ['tsx', 'scripts/deploy-model.ts']], available: true },
  { name: 'python3 scripts/deploy_model.py', command: ['python3', ['scripts/deploy_model.py']], available: hasPython },
];

describe.each(CLIS)('deploy CLI ($name)', ({ command, available }) => {
  /** The CLI as a user runs it. */
  function deployModel(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        command[0],
        [...command[1], ...args],
        { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  describe.skipIf(!available)('registers versions over HTTP', () => {
    let t: TestApp;
    let url: string;
    let token: string;

    beforeAll(async () => {
      t = await createTestApp();
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.getHttpServer().address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      token = t.tokens.for('admin', 'deployer');
      for (const name of ['safety_classifier', 'intent_classifier']) {
        await t.http().post('/api/v1/models').set('authorization', `Bearer ${token}`).send({ name, task: 'text-classification' }).expect(201);
      }
    });
    afterAll(async () => {
      await t?.close();
    });

    it('registers a version from a file with its sibling metadata and prints its sha256', async () => {
      const shipped = await readShippedModel('safety_classifier', 'v2');
      const result = await deployModel(
        ['--type', 'safety_classifier', '--model-path', 'models/safety_classifier_v2.onnx', '--version', 'v2.0.0', '--stage', 'staging', '--url', url],
        { MODEL_AB_TOKEN: token },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('registered safety_classifier v2.0.0 (stage staging)');
      expect(result.stdout).toContain(`sha256  ${shipped.sha256}`);
      expect(result.stdout).toContain('by      deployer');

      const res = await t.http().get('/api/v1/models/safety_classifier/versions/v2.0.0').set('authorization', `Bearer ${token}`).expect(200);
      expect(res.body).toMatchObject({ sha256: shipped.sha256, stage: 'staging', created_by: 'deployer', size_bytes: shipped.bytes.length });
      expect(res.body.metadata.featurizer).toEqual(shipped.metadata.featurizer);
    });

    it('takes --token, an explicit --metadata file and prints JSON with --json', async () => {
      const shipped = await readShippedModel('intent_classifier', 'v1');
      const metadataFile = path.join(t.config.dataDir, 'intent-v1-meta.json');
      await fs.writeFile(metadataFile, JSON.stringify(shipped.metadata));
      const result = await deployModel([
        '--type', 'intent_classifier', '--model-path', 'models/intent_classifier_v1.onnx', '--version', '1.0.0',
        '--metadata', metadataFile, '--stage', 'production', '--url', `${url}/`, '--token', token, '--json',
      ]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ model_type: 'intent_classifier', version: 'v1.0.0', stage: 'production', sha256: shipped.sha256 });
    });

    it('exits non-zero with the server message on a duplicate version', async () => {
      const result = await deployModel(['--type', 'safety_classifier', '--model-path', 'models/safety_classifier_v2.onnx', '--version', 'v2.0.0', '--url', url, '--token', token]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('409 DUPLICATE_MODEL_VERSION: Model type "safety_classifier" already has version "v2.0.0"');
    });

    it('exits non-zero with the server message for an unknown model type, a non-ONNX file and a bad token', async () => {
      const unknownType = await deployModel(['--type', 'nope_model', '--model-path', 'models/safety_classifier_v1.onnx', '--version', 'v1.0.0', '--url', url, '--token', token]);
      expect(unknownType.code).toBe(1);
      expect(unknownType.stderr).toContain('404 MODEL_TYPE_NOT_FOUND');

      const notOnnx = await deployModel(['--type', 'safety_classifier', '--model-path', 'models/README.md', '--version', 'v3.0.0', '--url', url, '--token', token]);
      expect(notOnnx.code).toBe(1);
      expect(notOnnx.stderr).toContain('422 INVALID_ARTIFACT');

      const userToken = await deployModel(['--type', 'safety_classifier', '--model-path', 'models/safety_classifier_v1.onnx', '--version', 'v3.0.0', '--url', url, '--token', t.tokens.user()]);
      expect(userToken.code).toBe(1);
      expect(userToken.stderr).toContain('403 FORBIDDEN_ROLE');
    });

    it('explains usage errors (exit 2) and an unreachable server (exit 1)', async () => {
      const noToken = await deployModel(['--type', 'safety_classifier', '--model-path', 'models/safety_classifier_v1.onnx', '--version', 'v1.0.0', '--url', url]);
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toContain('no token: pass --token or set MODEL_AB_TOKEN');

      const missing = await deployModel(['--type', 'safety_classifier'], { MODEL_AB_TOKEN: token });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('missing --model-path, --version');

      const noFile = await deployModel(['--type', 'safety_classifier', '--model-path', 'models/nothing.onnx', '--version', 'v1.0.0', '--url', url], { MODEL_AB_TOKEN: token });
      expect(noFile.code).toBe(2);
      expect(noFile.stderr).toContain('models/nothing.onnx is not a file');

      const unreachable = await deployModel(['--type', 'safety_classifier', '--model-path', 'models/safety_classifier_v1.onnx', '--version', 'v1.0.0', '--url', 'http://127.0.0.1:1'], {
        MODEL_AB_TOKEN: token,
      });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:1');
    });
  });
});
