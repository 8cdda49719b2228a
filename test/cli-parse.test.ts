import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SalonSchema } from '../src/parse/index.js';
import { runCli } from './helpers/cli.js';
import { examplesDir, fixturesDir } from './helpers/shared-data.js';

describe('salon-lens parse (built CLI)', () => {
  beforeAll(() => {
    // npm test builds first; this guards running the file on its own.
    runCli(['--version']);
  });

  it('prints a per-salon table and the dropped lines, exit 0', () => {
    const result = runCli(['parse', examplesDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/salon\s+insights\s+questions\s+disagreements\s+warnings/);
    expect(result.stdout).toContain('2024-09-14-who-owns-the-models');
    expect(result.stdout).toMatch(/:15: instruction: leaked prompt instruction/);
  });

  it('prints valid salons as JSON on stdout only', () => {
    const result = runCli(['parse', '--json', examplesDir]);
    expect(result.code).toBe(0);
    const salons = SalonSchema.array().parse(JSON.parse(result.stdout));
    expect(salons.length).toBeGreaterThanOrEqual(4);
    expect(salons.every((s) => s.items.length > 0)).toBe(true);
  });

  it('exits 1 with one clear line for bad input, no stack trace', () => {
    const file = path.join(fixturesDir, 'parse', 'invalid-utf8.md');
    const result = runCli(['parse', file]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `salon-lens: ${file}:3: expected UTF-8 text, found an invalid UTF-8 byte sequence`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('exits 1 for a missing path and for an empty file', () => {
    expect(runCli(['parse', '/no/such/dir']).code).toBe(1);
    const empty = runCli(['parse', path.join(fixturesDir, 'parse', 'empty.md')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/empty\.md:1: expected a section heading/);
  });

  it('exits 2 for usage errors', () => {
    expect(runCli(['parse']).code).toBe(2);
    expect(runCli(['no-such-command']).code).toBe(2);
    expect(runCli(['parse', '--max-bytes', 'lots', examplesDir]).code).toBe(2);
  });
});
