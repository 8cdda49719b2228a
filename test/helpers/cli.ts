/** Run the built CLI as a subprocess, as a user would. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cliPath, repoRoot } from './shared-data.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
