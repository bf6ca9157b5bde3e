/**
 * Both ends of a bench's helper processes. The bench writes a config file and runs a script in a
 * process of its own pinned to a core: a load generator (bench/*-load.ts) on core 1 (`runLoad`,
 * `runLoadAsync`), anything else where it says (`runScript`). The script reads the config and
 * prints its result as one JSON line on stdout (`loadMain`; for autocannon, `summarize`).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AutocannonResult } from 'autocannon';
import { pin } from './cpu.js';

const execFileAsync = promisify(execFile);

/** What a load run measured. */
export interface LoadResult {
  rps: number;
  total: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
}

export function summarize(result: AutocannonResult): LoadResult {
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non_2xx: result.non2xx,
    errors: result.errors,
  };
}

/** The body of such a script: reads the config named on the command line, runs, prints the result as one JSON line. */
export function loadMain<Config, Result>(run: (config: Config) => Promise<Result>): void {
  const main = async (): Promise<void> => {
    const config = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as Config;
    const output = await run(config);
    process.stdout.write(`${JSON.stringify(output)}\n`);
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/** The core load generators run on; the server runs on core 0. */
const LOAD_CORE = 1;

/** Writes the config to `<tmp>/<name>.json`; the command that runs `bench/<script>` on it, pinned to `core`. */
function scriptCommand(core: number, tmp: string, name: string, script: string, config: unknown): [string, string[]] {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  const [command, ...args] = [...pin(core), process.execPath, '--import', 'tsx', path.join('bench', script), file];
  return [command!, args];
}

const lastLine = <Result>(stdout: string): Result => JSON.parse(stdout.trim().split('\n').pop()!) as Result;

/** Runs `bench/<script>` on core `core` and waits for it (this process is blocked meanwhile; the script's stderr passes through). */
export function runScript<Result>(core: number, tmp: string, name: string, script: string, config: unknown): Result {
  const [command, args] = scriptCommand(core, tmp, name, script, config);
  return lastLine(execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 }));
}

/** Runs a load script on the load core and waits for it (blocking). */
export function runLoad<Result>(tmp: string, name: string, script: string, config: unknown): Result {
  return runScript(LOAD_CORE, tmp, name, script, config);
}

/** Runs a load script on the load core asynchronously: this process keeps serving its event loop (e.g. draining a server's pipes) meanwhile. */
export async function runLoadAsync<Result>(tmp: string, name: string, script: string, config: unknown): Promise<Result> {
  const [command, args] = scriptCommand(LOAD_CORE, tmp, name, script, config);
  const { stdout } = await execFileAsync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return lastLine(stdout);
}
