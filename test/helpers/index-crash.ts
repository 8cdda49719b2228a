/**
 * Harness for the store's crash and concurrency tests: run a writer in a child
 * process, stop it at a chosen point (progress event, numbered write step, or
 * timer), SIGKILL it, then check what is left on disk.
 *
 *   const child = await crashChild();
 *   const points = await listFaultPoints(child, { store, action: 'add', paths });
 *   const result = await runChild(child, { store, action: 'add', paths }, { faultPoint: 3 });
 *   await expectOneOf(store, { before, after }, embedder); // 'before' | 'after'
 *
 * The child is bundled once per test file with esbuild (the bundler tsup uses),
 * because starting it through tsx cost ~3 s per kill and we kill it dozens of times.
 * The bundle lives under node_modules/.cache so its package imports resolve. The
 * child gets salons the parent parsed (a JSON file): what gets killed is the store's
 * write path, and parsing in every child would only slow each kill down.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { expect } from 'vitest';
import type { Embedder } from '../../src/embed/index.js';
import {
  createLens,
  manifestFiles,
  openLens,
  readManifest,
  verifyLens,
} from '../../src/index/index.js';
import type { Salon } from '../../src/parse/index.js';
import { hashingEmbedder } from './index-embedders.js';
import { exampleSalons, storeFingerprint, tempStoreDir } from './index-store.js';
import { repoRoot } from './shared-data.js';

export interface ChildConfig {
  store: string;
  /** 'force': replace the store (createLens with force, a new embedder dim) and add the salons. */
  action: 'add' | 'remove' | 'state' | 'cycle' | 'force';
  /** JSON file holding the Salon[] to add (add, cycle, force; see writeSalonsFile). */
  salonsFile?: string;
  /** Salon ids (remove, cycle). */
  ids?: string[];
  /** writeState value (state). */
  value?: string;
  /** `<stage>:<done>`: block at that progress event and print PAUSED. */
  pauseAt?: string;
  /** Writes of the 'cycle' action. */
  rounds?: number;
  /** The hashing embedder's dim (default 64). */
  dim?: number;
}

export interface StopAt {
  /** Kill when the child blocks at this numbered write step (SALON_LENS_FAULT_POINTS). */
  faultPoint?: number;
  /** Kill this many ms after the child printed READY. */
  delayMs?: number;
  /** Print every write step on stderr instead (no kill). */
  trace?: boolean;
  /**
   * At the fault point, call this instead of killing: the child stays blocked
   * (holding the store's lock) until `resume()` lets it finish.
   */
  onPaused?: (resume: () => void, label: string) => void;
  /** Called with each stdout line (the 'cycle' writer's `SAVED <generation>`). */
  onLine?: (line: string, send: (text: string) => void) => void;
  /** Raw SALON_LENS_FAULT_POINTS value, e.g. `short-write:hnsw.` (see fault-points.ts). */
  faultSpec?: string;
  /** Resolve with outcome 'failed' when the child exits non-zero (default: reject). */
  allowFailure?: boolean;
}

export interface ChildResult {
  outcome: 'killed' | 'finished' | 'failed';
  stdout: string;
  stderr: string;
  /** Label of the write step the child was killed at, if any. */
  pausedAt?: string;
}

/** Path of the bundled child script (built on first use in this process). */
let bundle: Promise<string> | undefined;
export function crashChild(): Promise<string> {
  bundle ??= (async () => {
    const outDir = path.join(repoRoot, 'node_modules/.cache/salon-lens-tests');
    await mkdir(outDir, { recursive: true });
    // Built under a per-process name, then renamed into place: test files running at
    // the same time each get a complete bundle, and only one file is left behind.
    const outfile = path.join(outDir, 'index-crash-child.mjs');
    const tmp = path.join(outDir, `index-crash-child.${process.pid}.tmp.mjs`);
    await build({
      entryPoints: [path.join(repoRoot, 'test/helpers/index-crash-child.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    await rename(tmp, outfile);
    return outfile;
  })();
  return bundle;
}

const PAUSED_LINE = /\[fault-point\] \d+ (.*) PAUSED/;

/** Run the child writer once; SIGKILL it where `stop` says. Resolves when it is gone. */
export function runChild(
  script: string,
  config: ChildConfig,
  stop: StopAt = {},
): Promise<ChildResult> {
  const env = { ...process.env };
  delete env.SALON_LENS_FAULT_POINTS;
  if (stop.trace) env.SALON_LENS_FAULT_POINTS = 'trace';
  else if (stop.faultPoint !== undefined) env.SALON_LENS_FAULT_POINTS = String(stop.faultPoint);
  else if (stop.faultSpec !== undefined) env.SALON_LENS_FAULT_POINTS = stop.faultSpec;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(config)], {
      cwd: repoRoot,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pausedAt: string | undefined;
    const send = (text: string) => child.stdin.write(text);
    child.stdin.on('error', () => undefined); // the child may be gone already
    child.stdout.on('data', (chunk: Buffer) => {
      const before = stdout.length;
      stdout += chunk.toString();
      if (stop.onLine) {
        const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
        const fresh = complete.slice(stdout.slice(0, before).lastIndexOf('\n') + 1);
        for (const line of fresh.split('\n').filter(Boolean)) stop.onLine(line, send);
      }
      if (stdout.includes('PAUSED')) child.kill('SIGKILL');
      else if (stop.delayMs !== undefined && stdout.includes('READY')) {
        setTimeout(() => child.kill('SIGKILL'), stop.delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const paused = pausedAt === undefined ? PAUSED_LINE.exec(stderr) : null;
      if (paused) {
        pausedAt = paused[1] as string;
        if (stop.onPaused) stop.onPaused(() => send('\n'), pausedAt);
        else child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) {
        if (stop.allowFailure) resolve({ outcome: 'failed', stdout, stderr });
        else reject(new Error(`child failed (${code}): ${stderr}`));
      } else {
        resolve({
          outcome: stdout.includes('DONE') ? 'finished' : 'killed',
          stdout,
          stderr,
          ...(pausedAt ? { pausedAt } : {}),
        });
      }
    });
  });
}

/** Every write step the child passes through for `config`, in order (the child runs to the end). */
export async function listFaultPoints(script: string, config: ChildConfig): Promise<string[]> {
  const result = await runChild(script, config, { trace: true });
  expect(result.outcome).toBe('finished');
  return [...result.stderr.matchAll(/^\[fault-point\] (\d+) (.*)$/gm)].map((m, i) => {
    expect(Number(m[1])).toBe(i + 1);
    return m[2] as string;
  });
}

/** Write parsed salons where a child can read them (its `salonsFile`). */
export async function writeSalonsFile(salons: readonly Salon[]): Promise<string> {
  const dir = await scratchDir('salons-');
  const file = path.join(dir, 'salons.json');
  await writeFile(file, JSON.stringify(salons));
  return file;
}

const copies: string[] = [];

/** A temp folder that removeCopies deletes. */
export async function scratchDir(prefix = 'copy-'): Promise<string> {
  const dir = await tempStoreDir(prefix);
  copies.push(dir);
  return dir;
}

export async function copyStore(from: string): Promise<string> {
  const to = await scratchDir('copy-');
  await cp(from, to, { recursive: true });
  return to;
}

/** A new store (a scratchDir) holding `salons`, with the state `marker` when one is given. */
export async function storeWith(
  embedder: Embedder,
  salons: readonly Salon[],
  options: { prefix?: string; marker?: string } = {},
): Promise<string> {
  const dir = await scratchDir(options.prefix ?? 'store-');
  const lens = await createLens(dir, { embedder });
  if (salons.length > 0) await lens.addSalons([...salons]);
  if (options.marker !== undefined) await lens.writeState('marker', options.marker);
  await lens.close();
  return dir;
}

/** Fingerprint of a copy of `base` after each of `writes` was added to it, in order (in-process). */
export async function fingerprintAfter(
  base: string,
  embedder: Embedder,
  ...writes: Salon[][]
): Promise<string> {
  const dir = await copyStore(base);
  for (const more of writes) {
    const lens = await openLens(dir, { embedder });
    await lens.addSalons(more);
    await lens.close();
  }
  return storeFingerprint(dir, embedder);
}

export interface CrashFixture {
  /** The bundled child writer (crashChild). */
  child: string;
  /** hashing@64, as the child uses by default. */
  embedder: Embedder;
  salons: Salon[];
  /** A store holding the first two example salons (and the marker, if asked). */
  base: string;
  /** storeFingerprint of `base`. */
  before: string;
}

/**
 * What the crash, safety and concurrency test files start from (call in beforeAll;
 * removeCopies in afterAll deletes the base store with the copies).
 */
export async function crashFixture(
  options: { prefix?: string; marker?: string } = {},
): Promise<CrashFixture> {
  const [child, embedder, salons] = await Promise.all([
    crashChild(),
    hashingEmbedder(64),
    exampleSalons(),
  ]);
  const base = await storeWith(embedder, salons.slice(0, 2), options);
  return { child, embedder, salons, base, before: await storeFingerprint(base, embedder) };
}

/**
 * A deterministic sample of a write's kill points that keeps every class of step:
 * the lock steps, every manifest step (the commit switch and its neighbours), the
 * first clean-up and, across the data files, each step kind (temp-created, -written,
 * -fsynced, renamed, dir-fsynced) at least once and each file at least once (a
 * diagonal: file j mod F with step kind j mod K). Every data write happens before
 * the manifest steps, so a kill at a manifest step still sees the effect of every
 * data write; what is dropped are repeats of the same step on another file.
 * Returns the chosen points with their 0-based index in `points`.
 */
export function sampleKillPoints(points: readonly string[]): Array<{ label: string; i: number }> {
  const all = points.map((label, i) => ({ label, i }));
  const isData = (label: string) => !/^(lock|manifest\.json|cleanup):/.test(label);
  const file = (label: string) => label.slice(0, label.indexOf(':'));
  const kind = (label: string) => label.slice(label.indexOf(':') + 1).trim();
  const data = all.filter((p) => isData(p.label));
  const files = [...new Set(data.map((p) => file(p.label)))];
  const kinds = [...new Set(data.map((p) => kind(p.label)))];
  const chosen = new Set<number>();
  for (let j = 0; j < Math.max(files.length, kinds.length); j++) {
    const ofFile = data.filter((p) => file(p.label) === files[j % files.length]);
    // A file without that kind of step (the graph file has no temp-created): its first step.
    const pick = ofFile.find((p) => kind(p.label) === kinds[j % kinds.length]) ?? ofFile[0];
    if (pick) chosen.add(pick.i);
  }
  for (const k of kinds) {
    const covered = data.some((p) => chosen.has(p.i) && kind(p.label) === k);
    if (!covered) chosen.add((data.find((p) => kind(p.label) === k) as { i: number }).i);
  }
  const firstCleanup = all.find((p) => p.label.startsWith('cleanup:'));
  for (const p of all) {
    if (!isData(p.label) && (!p.label.startsWith('cleanup:') || p === firstCleanup))
      chosen.add(p.i);
  }
  return all.filter((p) => chosen.has(p.i));
}

/** Delete every folder scratchDir, copyStore, storeWith and writeSalonsFile made in this process (call in afterAll). */
export async function removeCopies(): Promise<void> {
  await Promise.all(copies.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * After a crash: `verify` passes, the store holds exactly one of `states` (by
 * fingerprint: items, vectors, state and search results), and the next writer takes
 * over the dead child's lock and sweeps its leftovers. Returns the matching state's name.
 */
export async function expectOneOf(
  dir: string,
  states: Record<string, string>,
  embedder: Embedder,
): Promise<string> {
  const report = await verifyLens(dir);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  const fingerprint = await storeFingerprint(dir, embedder);
  const name = Object.entries(states).find(([, f]) => f === fingerprint)?.[0];
  expect(name, 'store matches none of the expected states').toBeDefined();
  const writer = await openLens(dir, { embedder });
  await writer.close();
  const manifest = await readManifest(dir);
  const referenced = new Set(manifestFiles(manifest).map((f) => f.name));
  const names = (await readdir(dir)).filter((n) => n !== 'manifest.json' && n !== 'lock');
  expect(names.sort()).toEqual([...referenced].sort());
  return name as string;
}

/** Run async tasks with at most `limit` at once (two cores: two children at a time). */
export async function inPool<T, R>(
  tasks: readonly T[],
  limit: number,
  run: (task: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await run(tasks[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
