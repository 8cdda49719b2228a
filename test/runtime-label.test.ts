/**
 * The runtime is named: the lens and the CLI summary say what embeds (onnxruntime,
 * or the slower tfjs fallback with the command that fixes it). Real bundled model.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONNX_INSTALL_HINT, runtimeLabel, SalonLens } from '../src/index.js';
import { runCliAsync } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { fixturesDir } from './helpers/shared-data.js';

const DOC = '2024-05-01-ai-salon-disagreements-heading.md';
let work: string;

beforeAll(async () => {
  work = await tempStoreDir('runtime-');
  await mkdir(path.join(work, 'docs'));
  await copyFile(path.join(fixturesDir, 'warnings', DOC), path.join(work, 'docs', DOC));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the runtime is named', () => {
  it('labels each runtime, with the fix for the fallback', () => {
    const id = 'use-lite@512';
    expect(runtimeLabel({ id, runtime: 'onnxruntime-node' })).toBe('use-lite@512 on onnxruntime');
    expect(runtimeLabel({ id, runtime: 'tfjs-wasm' })).toBe(
      `use-lite@512 on tfjs (slower: ${ONNX_INSTALL_HINT})`,
    );
    expect(ONNX_INSTALL_HINT).toContain('npm install onnxruntime-node@1.30.0');
    expect(runtimeLabel({ id: 'hashing@512' })).toBe('hashing@512');
  });

  it('lens.runtime: the id until the model loads, then what runs it', async () => {
    const lens = await SalonLens.create(path.join(work, 'lib-store'));
    try {
      expect(lens.runtime).toBe('use-lite@512');
      await lens.add([path.join(work, 'docs')]);
      expect(lens.runtime).toBe('use-lite@512 on onnxruntime');
    } finally {
      await lens.close();
    }
  });

  it('index names it in the summary and in --json', async () => {
    const store = path.join(work, 'cli-store');
    const human = await runCliAsync(['index', 'docs', '--store', store, '--quiet'], { cwd: work });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^Store holds 3 items from 1 salons \(use-lite@512 on onnxruntime\)\.$/m,
    );
    await rm(store, { recursive: true });
    const json = await runCliAsync(['index', 'docs', '--store', store, '--quiet', '--json'], {
      cwd: work,
    });
    expect(JSON.parse(json.stdout)).toMatchObject({
      embedder: 'use-lite@512',
      runtime: 'onnxruntime',
    });
  });
});
