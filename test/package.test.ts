/**
 * The published shape: what `npm pack` ships, and a user's app (examples/app)
 * running against the packed tarball installed into a fresh folder, from ESM and CJS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
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
    // Source maps were 2.6 MB of a 4.0 MB package, for plain unminified output.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});

/** The tarball packed from a clean checkout (set by the prepack test, installed below). */
let cleanTarball: string | undefined;

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
    cleanTarball = path.join(out, tarball);
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

/**
 * The child environment of a *plain* install: no npm_* variables inherited from
 * the `npm test` running us (npm exports the project's .npmrc settings to child
 * processes, including the one that stops onnxruntime-node fetching CUDA) and no
 * ONNXRUNTIME_* variables.
 */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|onnxruntime_)/i.test(name)),
  );
  return { ...env, ...extra };
}

/** Embeds two texts through the installed package; prints the runtime and the vectors. */
const EMBED_CHECK = `
import { createEmbedder, isSalonLensError } from 'salon-lens';
const embedder = await createEmbedder();
const vectors = await embedder.embed(['Who owns the data a model was trained on?', 'Teachers']);
await embedder.dispose();
const failure = async (make) => {
  try {
    await make();
    return 'ok';
  } catch (error) {
    return isSalonLensError(error) ? error.code + ': ' + error.message : String(error);
  }
};
const transformers = await failure(() => createEmbedder({ backend: 'transformers', modelDir: '.', offline: true }));
const onnx = await failure(async () => {
  const insisting = await createEmbedder({ runtime: 'onnx' });
  await insisting.embed(['x']);
  await insisting.dispose();
});
console.log(JSON.stringify({ runtime: embedder.runtime, vectors: vectors.map((v) => Array.from(v)), transformers, onnx }));
`;

/**
 * stderr of a consumer's process: nothing, except (once) the Node warning that the
 * bundled model fell back to tfjs when onnxruntime-node is not installed.
 */
function expectOnlyFallbackWarning(stderr: string, fallback: boolean): void {
  const said = stderr.match(
    /\[SALON_LENS_TFJS_FALLBACK\] Warning: onnxruntime-node is not installed/g,
  );
  expect(said ?? []).toHaveLength(fallback ? 1 : 0);
  if (fallback) expect(stderr).toContain('npm install onnxruntime-node@1.30.0');
  const rest = stderr
    .split('\n')
    .filter(
      (l) =>
        l &&
        !l.includes('[SALON_LENS_TFJS_FALLBACK]') &&
        !l.startsWith('(Use `node --trace-warnings'),
    );
  expect(rest).toEqual([]);
}

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

describe('examples/app against the packed package', () => {
  it('installs the tarball into a fresh folder with no .npmrc and no environment, and runs the ESM app and a CJS require', {
    timeout: 600_000,
  }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salon-app-'));
    // The clean checkout's tarball, as a publish from a fresh clone makes it (packed
    // here only when that test did not run, e.g. under a name filter).
    if (cleanTarball) copyFileSync(cleanTarball, path.join(dir, path.basename(cleanTarball)));
    else
      execFileSync(npm, ['pack', '--pack-destination', dir, '--ignore-scripts'], {
        cwd: repoRoot,
        stdio: 'ignore',
      });
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    // A consumer's package.json as `npm init` leaves it: no allowScripts, no .npmrc.
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'salon-app', private: true, type: 'module' }),
    );
    const packed = execFileSync('sh', ['-c', 'ls salon-lens-*.tgz'], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
    expect(packed).toBe(`salon-lens-${version}.tgz`);
    // On Linux x64 without network onnxruntime-node's install script fails (it
    // downloads CUDA libraries); it is optional, so npm drops it and goes on. What the
    // consuming app sees: no warning about our npm config, nothing about our dev-only
    // bench peers (usearch).
    const install = spawnSync(
      npm,
      ['install', `./${packed}`, '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: dir, encoding: 'utf8', env: plainEnv() },
    );
    expect(install.status).toBe(0);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(
      /Unknown (project|env) config|usearch/,
    );
    // Nothing typed-only in the app's production tree (protobufjs 7 brought @types/node).
    const typesNode = spawnSync(npm, ['ls', '@types/node', '--omit=dev', '--parseable'], {
      cwd: dir,
      encoding: 'utf8',
      env: plainEnv(),
    });
    expect(
      typesNode.stdout
        .trim()
        .split('\n')
        .filter((l) => l.includes('@types')),
    ).toEqual([]);
    // No TensorFlow-free claim here: the weights package pulls @energetic-ai/core in as its peer.
    expect(existsSync(path.join(dir, 'node_modules/@huggingface/transformers'))).toBe(false);
    for (const f of ['recurring-questions.mjs', 'require-check.cjs']) {
      copyFileSync(path.join(repoRoot, 'examples/app', f), path.join(dir, f));
    }
    writeFileSync(path.join(dir, 'embed-check.mjs'), EMBED_CHECK);

    const app = spawnSync(
      process.execPath,
      ['recurring-questions.mjs', examplesDir, path.join(dir, 'work')],
      { cwd: dir, encoding: 'utf8' },
    );
    const nativeInstalled = existsSync(path.join(dir, 'node_modules/onnxruntime-node'));
    expectOnlyFallbackWarning(app.stderr, !nativeInstalled);
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

    const embedCheck = () => {
      const run = spawnSync(process.execPath, ['embed-check.mjs'], { cwd: dir, encoding: 'utf8' });
      const native = existsSync(path.join(dir, 'node_modules/onnxruntime-node'));
      expectOnlyFallbackWarning(run.stderr, !native);
      return JSON.parse(run.stdout) as {
        runtime: string;
        vectors: number[][];
        transformers: string;
        onnx: string;
      };
    };
    const first = embedCheck();
    expect(first.runtime).toBe(nativeInstalled ? 'onnxruntime-node' : 'tfjs-wasm');
    // Insisting on the native runtime without it names the package and the command.
    if (nativeInstalled) expect(first.onnx).toBe('ok');
    else
      expect(first.onnx).toMatch(
        /^BACKEND_NOT_INSTALLED: .*`npm install onnxruntime-node@1\.30\.0`/,
      );
    // Whatever ran the model, the optional transformers backend says how to install it.
    expect(first.transformers).toMatch(
      /^BACKEND_NOT_INSTALLED: .*`npm install @huggingface\/transformers@\d+\.\d+\.\d+`/,
    );

    // The native runtime, installed the documented way for an offline Linux machine.
    execFileSync(
      npm,
      ['install', 'onnxruntime-node@1.30.0', '--prefer-offline', '--no-audit', '--no-fund'],
      {
        cwd: dir,
        stdio: 'ignore',
        env: plainEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' }),
      },
    );
    const native = embedCheck();
    expect(native.runtime).toBe('onnxruntime-node');
    expect(native.onnx).toBe('ok');
    native.vectors.forEach((v, i) => {
      expect(cosine(v, first.vectors[i] as number[])).toBeGreaterThan(0.999);
    });
  });
});
