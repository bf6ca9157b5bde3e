/**
 * `npm run lint:api`: lints openapi.json with Redocly's `recommended` and Spectral's `spectral:oas`
 * rulesets as they ship (redocly.yaml, .spectral.yaml) and fails on any error or warning.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);
const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
const document = process.argv[2] ?? 'openapi.json';

let failed = false;

const redocly = spawnSync(bin('redocly'), ['lint', document, '--format=json'], { cwd: root, env, encoding: 'utf8' });
try {
  const report = JSON.parse(redocly.stdout.slice(redocly.stdout.indexOf('{'))) as {
    totals: { errors: number; warnings: number };
    problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
  };
  for (const problem of report.problems) {
    console.log(`redocly ${problem.severity} ${problem.ruleId}: ${problem.message} (${problem.location[0]?.pointer ?? ''})`);
  }
  console.log(`redocly recommended: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
  failed ||= report.totals.errors + report.totals.warnings > 0;
} catch {
  console.error(`redocly did not report (exit ${String(redocly.status)}):\n${redocly.stdout}\n${redocly.stderr}`);
  failed = true;
}

const spectral = spawnSync(bin('spectral'), ['lint', document, '--ruleset', '.spectral.yaml', '--format', 'json', '--quiet'], {
  cwd: root,
  env,
  encoding: 'utf8',
});
try {
  const results = JSON.parse(spectral.stdout.trim() || '[]') as Array<{ code: string; message: string; severity: number; path: string[] }>;
  const severities = ['error', 'warning', 'info', 'hint'];
  for (const result of results) console.log(`spectral ${severities[result.severity]} ${result.code}: ${result.message} (${result.path.join('.')})`);
  const errors = results.filter((r) => r.severity === 0).length;
  const warnings = results.filter((r) => r.severity === 1).length;
  console.log(`spectral:oas: ${errors} errors, ${warnings} warnings`);
  failed ||= errors + warnings > 0;
} catch {
  console.error(`spectral did not report (exit ${String(spectral.status)}):\n${spectral.stdout}\n${spectral.stderr}`);
  failed = true;
}

process.exit(failed ? 1 : 0);
