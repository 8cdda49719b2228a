/** Run the built CLI as a subprocess, as a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cliPath, repoRoot } from './shared-data.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * A command the CLI runs under, e.g. `['unshare', '--pid', '--fork', '--mount-proc']`
   * or `['setpriv', '--reuid=65534', …]`: it is given `node <cli> <args>`.
   */
  wrapper?: string[];
  /** SIGKILL the run after this many ms (its code is then -1). */
  killAfterMs?: number;
}

/** Throws a clear error when dist/ is missing (run `npm run build`). */
export function requireBuiltCli(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
}

function command(args: string[], wrapper: string[] = []): [string, string[]] {
  const full = [...wrapper, process.execPath, cliPath, ...args];
  return [full[0] as string, full.slice(1)];
}

export function runCli(args: string[], options: CliOptions = {}): CliResult {
  requireBuiltCli();
  const [file, argv] = command(args, options.wrapper);
  const result = spawnSync(file, argv, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.killAfterMs ?? 600_000,
    killSignal: 'SIGKILL',
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Like runCli, without blocking: for CLI runs that overlap (races, or two at a time on two cores). */
export function runCliAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  requireBuiltCli();
  const [file, argv] = command(args, options.wrapper);
  return new Promise((resolve, reject) => {
    const proc = spawn(file, argv, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => proc.kill('SIGKILL'), options.killAfterMs);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The examples indexed by the CLI into `store` with the hashing embedder (fast), asserting success. */
export function indexExamplesWithHashing(store: string, examples: string): void {
  const run = runCli(['index', examples, '--store', store, '--embedder', 'hashing', '--quiet']);
  if (run.code !== 0) throw new Error(`index of the examples failed: ${run.stderr}`);
}

/** The stderr lines `index`/`report` print for the `warnings` of their --json summary. */
export function warningLinesOf(summary: {
  warnings: Array<{ file: string; line?: number; message: string }>;
}): string[] {
  return summary.warnings.map((w) =>
    w.line === undefined
      ? `warning: ${w.file}: ${w.message}`
      : `warning: ${w.file}:${w.line}: ${w.message}`,
  );
}
