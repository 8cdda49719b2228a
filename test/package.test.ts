/**
 * The published shape: what `npm pack` ships, and a user's app (examples/app)
 * running against the packed tarball installed into a fresh folder, from ESM and CJS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SalonLens, SearchHit, Section, ThemesResult } from '../src/index.js';
import * as api from '../src/index.js';
import { examplesDir, repoRoot } from './helpers/shared-data.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm pack contents', () => {
  it('ships dist, types, README and LICENSE; no sources, tests or fixtures', () => {
    const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    for (const needed of [
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/cli.js',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => /^(src|test|bench|examples|\.ci)\//.test(f))).toEqual([]);
  });
});

describe('npm pack on a clean checkout (no dist/ yet)', () => {
  it('builds dist in prepack, so the tarball ships dist/cli.js', { timeout: 600_000 }, () => {
    const clean = mkdtempSync(path.join(os.tmpdir(), 'salon-clean-'));
    const out = mkdtempSync(path.join(os.tmpdir(), 'salon-packed-'));
    // What a clone holds that the build needs (node_modules as `npm ci` would leave it).
    for (const f of [
      'src',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsup.config.ts',
    ]) {
      cpSync(path.join(repoRoot, f), path.join(clean, f), { recursive: true });
    }
    for (const f of ['README.md', 'LICENSE'])
      copyFileSync(path.join(repoRoot, f), path.join(clean, f));
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(clean, 'node_modules'));
    execFileSync(npm, ['pack', '--pack-destination', out], { cwd: clean, stdio: 'ignore' });
    const tarball = execFileSync('sh', ['-c', 'ls *.tgz'], { cwd: out, encoding: 'utf8' }).trim();
    const files = execFileSync('tar', ['-tzf', path.join(out, tarball)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    for (const needed of ['dist/cli.js', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts']) {
      expect(files).toContain(`package/${needed}`);
    }
    expect(readFileSync(path.join(clean, 'dist/cli.js'), 'utf8')).toMatch(
      /^#!\/usr\/bin\/env node/,
    );
  });
});

describe('public API surface', () => {
  it('exports the curated entry points and nothing from stage internals', () => {
    const names = Object.keys(api).sort();
    for (const name of [
      'SalonLens',
      'analyze',
      'parseSalon',
      'loadSalons',
      'createEmbedder',
      'SalonLensError',
      'ThemesResultSchema',
      'SalonSchema',
    ]) {
      expect(names).toContain(name);
    }
    // Internals that must stay private.
    for (const name of [
      'createLens',
      'openLens',
      'clusterThemes',
      'buildReportData',
      'decodeDocument',
      'isInstruction',
    ]) {
      expect(names).not.toContain(name);
    }
  });

  it('has the documented types', () => {
    expectTypeOf<Awaited<ReturnType<SalonLens['search']>>>().toEqualTypeOf<SearchHit[]>();
    expectTypeOf<Awaited<ReturnType<SalonLens['themes']>>>().toEqualTypeOf<ThemesResult>();
    expectTypeOf<SearchHit['item']['section']>().toEqualTypeOf<Section>();
    expectTypeOf(api.parseSalon).parameter(1).toHaveProperty('source');
  });
});

describe('examples/app against the packed package', () => {
  it('installs the tarball into a fresh folder and runs the ESM app and a CJS require', {
    timeout: 600_000,
  }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salon-app-'));
    execFileSync(npm, ['pack', '--pack-destination', dir, '--ignore-scripts'], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'salon-app',
        private: true,
        type: 'module',
        // npm 11 runs no dependency install scripts unless allowed; hnswlib-node compiles its addon.
        allowScripts: { 'hnswlib-node': true, 'onnxruntime-node': false, protobufjs: false },
      }),
    );
    const packed = execFileSync('sh', ['-c', 'ls salon-lens-*.tgz'], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
    expect(packed).toBe(`salon-lens-${version}.tgz`);
    // What a consuming app sees: no warning about our npm config, nothing about our
    // dev-only bench peers (usearch). onnxruntime-node's script is denied by allowScripts.
    const install = spawnSync(
      npm,
      ['install', `./${packed}`, '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(install.status).toBe(0);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(
      /Unknown (project|env) config|usearch/,
    );
    for (const f of ['recurring-questions.mjs', 'require-check.cjs']) {
      copyFileSync(path.join(repoRoot, 'examples/app', f), path.join(dir, f));
    }

    const app = spawnSync(
      process.execPath,
      ['recurring-questions.mjs', examplesDir, path.join(dir, 'work')],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(app.stderr).toBe('');
    expect(app.status).toBe(0);
    expect(app.stdout).toMatch(/^ingested: 5 new, 0 changed, 0 unchanged salons$/m);
    expect(app.stdout).toMatch(/^recurring questions: \d+ groups$/m);
    expect(app.stdout).toMatch(/report: .*report\.html$/m);

    const cjs = spawnSync(process.execPath, ['require-check.cjs'], { cwd: dir, encoding: 'utf8' });
    expect(cjs.status).toBe(0);
    expect(JSON.parse(cjs.stdout)).toEqual({
      items: 1,
      facade: 'function',
      codes: api.ERROR_CODES.length,
    });

    const bin = spawnSync(path.join(dir, 'node_modules/.bin/salon-lens'), ['--version'], {
      encoding: 'utf8',
    });
    expect(bin.stdout.trim()).toBe(version);
  });
});
