/**
 * Registers a model version with a running model-ab service over HTTP:
 *
 *   npm run deploy-model -- --type safety_classifier --model-path models/safety_classifier_v2.onnx --version v2.0.0
 *
 * The TypeScript counterpart of the seed's `python deploy_model.py …`. It only talks HTTP (no
 * database, no server code), so it works against any instance the token is valid for.
 */
import { existsSync, openAsBlob } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const usage = `Usage: npm run deploy-model -- --type <model type> --model-path <file.onnx> --version <v1.2.3> [options]

Options:
  --type <name>         model type to add the version to (it must exist: POST /api/v1/models)
  --model-path <file>   the ONNX artifact
  --version <semver>    e.g. v2.0.0 or 1.4.0-rc.1
  --stage <stage>       initial stage: none (default), staging, production (archives the current one), archived
  --metadata <file>     JSON metadata (labels, featurizer, input_name, output_name, …);
                        default: <model-path without .onnx>.meta.json when that file exists
  --format <format>     artifact format (default onnx)
  --url <url>           service URL (default $MODEL_AB_URL or http://127.0.0.1:3000)
  --token <jwt>         admin bearer token (default $MODEL_AB_TOKEN)
  --json                print the registered version as JSON
  -h, --help            this help

A token: the one the server prints at start, or: npm run -s token -- --sub you --role admin`;

class UsageError extends Error {}

interface Options {
  type: string;
  modelPath: string;
  version: string;
  stage?: string;
  metadataPath: string | null;
  format: string;
  url: string;
  token: string;
  json: boolean;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      type: { type: 'string' },
      'model-path': { type: 'string' },
      version: { type: 'string' },
      stage: { type: 'string' },
      metadata: { type: 'string' },
      format: { type: 'string', default: 'onnx' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const missing = (['type', 'model-path', 'version'] as const).filter((name) => !values[name]);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  const token = values.token ?? env.MODEL_AB_TOKEN;
  if (!token) throw new UsageError('no token: pass --token or set MODEL_AB_TOKEN (npm run -s token -- --sub you --role admin)');
  const modelPath = values['model-path']!;
  let metadataPath: string | null = values.metadata ?? null;
  if (!metadataPath) {
    const sibling = path.join(path.dirname(modelPath), `${path.basename(modelPath, path.extname(modelPath))}.meta.json`);
    if (existsSync(sibling)) metadataPath = sibling;
  }
  return {
    type: values.type!,
    modelPath,
    version: values.version!,
    stage: values.stage,
    metadataPath,
    format: values.format!,
    url: (values.url ?? env.MODEL_AB_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    token,
    json: values.json!,
  };
}

interface VersionBody {
  model_type: string;
  version: string;
  stage: string;
  sha256: string;
  size_bytes: number;
  created_by: string;
  artifact_url: string;
}

async function deploy(options: Options): Promise<VersionBody> {
  const stat = await fs.stat(options.modelPath).catch(() => null);
  if (!stat?.isFile()) throw new UsageError(`--model-path ${options.modelPath} is not a file`);
  const form = new FormData();
  // Fields before the file, so the server knows what it receives before the bytes arrive.
  form.append('version', options.version);
  form.append('format', options.format);
  if (options.stage) form.append('stage', options.stage);
  if (options.metadataPath) {
    const text = await fs.readFile(options.metadataPath, 'utf8').catch(() => {
      throw new UsageError(`cannot read --metadata ${options.metadataPath}`);
    });
    try {
      JSON.parse(text);
    } catch {
      throw new UsageError(`${options.metadataPath} is not valid JSON`);
    }
    form.append('metadata', text);
  }
  // openAsBlob streams from disk as the request is sent: a large model is not read into memory.
  form.append('file', await openAsBlob(options.modelPath), path.basename(options.modelPath));

  const endpoint = `${options.url}/api/v1/models/${encodeURIComponent(options.type)}/versions`;
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${options.token}` }, body: form });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new Error(`cannot reach ${options.url}: ${cause ?? (error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body as { message?: unknown; code?: unknown } | null;
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, 500) || response.statusText;
    const code = typeof error?.code === 'string' ? ` ${error.code}` : '';
    throw new Error(`${response.status}${code}: ${message}`);
  }
  return body as VersionBody;
}

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`deploy-model: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (!options) {
    console.log(usage);
    return 0;
  }
  try {
    const registered = await deploy(options);
    if (options.json) {
      console.log(JSON.stringify(registered, null, 2));
    } else {
      console.log(`registered ${registered.model_type} ${registered.version} (stage ${registered.stage})`);
      console.log(`  sha256  ${registered.sha256}`);
      console.log(`  size    ${registered.size_bytes} bytes`);
      console.log(`  by      ${registered.created_by}`);
      console.log(`  url     ${options.url}${registered.artifact_url}`);
      if (!options.metadataPath) console.log('  note    no metadata was sent: loadModel cannot serve this version');
    }
    return 0;
  } catch (error) {
    console.error(`deploy-model: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main();
