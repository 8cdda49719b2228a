/**
 * Hostile or unlucky input and environments, end to end: salon ids that keep
 * distinct salons distinct, reports never read back as salons, shell-safe advice,
 * a cap on text sent to the model, one clear line for file-system errors, and one
 * validation path for dates and k in the CLI and the API.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SalonLens } from '../src/api/salon-lens.js';
import { createEmbedder, MAX_EMBED_CHARS } from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import { loadSalons, parseSalon } from '../src/parse/index.js';
import { requireBuiltCli, runCli, runCliAsync } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { cliPath, examplesDir } from './helpers/shared-data.js';

let work: string;
/** The examples indexed with the hashing embedder, shared by the read-only tests. */
let examplesStore: string;
beforeAll(async () => {
  requireBuiltCli();
  work = await tempStoreDir('input-');
  examplesStore = path.join(work, 'examples-store');
  await examplesStoreAt(examplesStore);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The examples in a new store at `dir`, built in-process (where the CLI's index is not what is tested). */
async function examplesStoreAt(dir: string): Promise<void> {
  const lens = await SalonLens.create(dir, { embedder: { backend: 'hashing' } });
  await lens.add([examplesDir]);
  await lens.close();
}

const doc = (header: string | undefined, bullets: string[]) =>
  `${header ? `These are the takeaways from the conversation: ${header}\n\n` : ''}# Insights\n\n${bullets.map((b) => `- ${b}`).join('\n')}\n`;

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

/** The words a shell passes for `command` (its first word replaced by printf: nothing runs). */
function shellWords(command: string, cwd: string): string[] {
  const args = command.slice(command.indexOf(' ') + 1);
  return execFileSync('sh', ['-c', `printf '%s\\n' ${args}`], { cwd, encoding: 'utf8' })
    .trimEnd()
    .split('\n');
}

describe('salon ids', () => {
  const id = (header: string) => parseSalon(doc(header, ['x']), { source: 'a.md' }).id;

  it('ASCII titles keep their ids; accents, other scripts, emoji and long titles stay distinct and bounded', () => {
    expect(id('2023-11-25 Ai salon - Copyright & Creativity.m4a')).toBe(
      '2023-11-25-copyright-creativity',
    );
    // Accented titles carry a hash: "Cafe culture" on the same day must stay another salon.
    expect(id('2023-11-25 Ai salon - Café culture.m4a')).toMatch(
      /^2023-11-25-cafe-culture-[0-9a-f]{8}$/,
    );
    const scripts = [
      '人工智能的未来',
      '数据所有权',
      'Будущее работы',
      '🎉🚀',
      '🌍',
      'الذكاء الاصطناعي',
    ];
    const ids = scripts.map((t) => id(`2023-11-25 Ai salon - ${t}.m4a`));
    expect(new Set(ids).size).toBe(scripts.length);
    for (const i of ids) expect(i).toMatch(/^2023-11-25-[0-9a-f]{8}$/);
    const long = id(`2023-11-25 Ai salon - ${'word '.repeat(20_000)}.m4a`);
    const longer = id(`2023-11-25 Ai salon - ${'word '.repeat(20_001)}.m4a`);
    expect(long.length).toBeLessThanOrEqual(120);
    expect(long).not.toBe(longer);
  });

  it('headerless documents with the same file name in two folders get two ids', async () => {
    const dir = await folder('headerless', {
      'a/notes.md': doc(undefined, ['first folder insight']),
      'b/notes.md': doc(undefined, ['second folder insight']),
    });
    const { salons } = await loadSalons([dir]);
    expect(salons).toHaveLength(2);
    expect(salons[0]?.id).not.toBe(salons[1]?.id);
    expect(salons[0]?.title).toBe('notes');
  });

  it('an update that replaces a salon from another file or with another title is reported', async () => {
    const one = await folder('same-id-1', {
      'alpha.md': doc('2024-01-01 Ai salon - Alpha', ['one']),
    });
    const two = await folder('same-id-2', {
      'other.md': doc('2024-01-01 Ai salon - Alpha', ['a different salon']),
    });
    const store = path.join(work, 'same-id-store');
    const first = runCli(['index', one, '--store', store, '--embedder', 'hashing', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const second = runCli(['index', two, '--store', store, '--quiet']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(
      `warning: salon 2024-01-01-alpha was "Alpha" from ${path.join(one, 'alpha.md')} and is now "Alpha" from ${path.join(two, 'other.md')}`,
    );
  }, 60_000);
});

describe('report never reads its own output', () => {
  it('report run twice in a salons folder, and a report copied among the salons: skipped', async () => {
    const dir = path.join(work, 'report-twice');
    await cp(examplesDir, dir, { recursive: true });
    const run = () =>
      runCli(['report', '.', '--embedder', 'hashing', '--quiet', '--json'], { cwd: dir });
    const first = run();
    expect(first.code, first.stderr).toBe(0);
    const salons = JSON.parse(first.stdout).salons;
    // The store and output folders are excluded; a report moved among the salons is recognised.
    await cp(path.join(dir, 'salon-report', 'report.md'), path.join(dir, 'notes.md'));
    const second = run();
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).salons).toBe(salons);
    expect(second.stderr).toContain(
      `warning: notes.md: a report written by salon-lens, not a salon document; skipped`,
    );
    const md = await readFile(path.join(dir, 'salon-report', 'report.md'), 'utf8');
    expect(md.startsWith('<!-- salon-lens report')).toBe(true);
  }, 120_000);
});

describe('advice is shell-safe', () => {
  it('verify’s rebuild command passes a hostile store path as one literal word', async () => {
    const dir = path.join(work, 'it\'s $(touch pwned); `id` "x"');
    await examplesStoreAt(dir);
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    await rm(path.join(dir, manifest.files.items.name));
    const verify = runCli(['verify', '--store', dir]);
    expect(verify.code).toBe(1);
    const command = /Rebuild it from them: (salon-lens index .*)$/m.exec(verify.stderr)?.[1];
    expect(command, verify.stderr).toBeDefined();
    expect(shellWords(command as string, work)).toEqual([
      'index',
      examplesDir,
      '--store',
      dir,
      '--force',
    ]);
    expect(existsSync(path.join(work, 'pwned'))).toBe(false);
  }, 60_000);
});

describe('text sent to the model is capped', () => {
  it('a 1 MB item embeds as its first MAX_EMBED_CHARS characters', async () => {
    const embedder = await createEmbedder({ backend: 'hashing', dim: 64 });
    const huge = `${'salon '.repeat(200_000)}end`;
    const [a, b] = await embedder.embed([huge, huge.slice(0, MAX_EMBED_CHARS)]);
    expect(Array.from(a as Float32Array)).toEqual(Array.from(b as Float32Array));
  });

  it('index of a 1 MB single-bullet document with the bundled model finishes, with a warning', async () => {
    const dir = await folder('huge', {
      'big.md': doc('2024-02-02 Ai salon - Big', [`${'the model reads a window '.repeat(42_000)}`]),
    });
    const started = Date.now();
    const result = await runCliAsync(
      ['index', dir, '--store', path.join(work, 'huge-store'), '--quiet'],
      {
        killAfterMs: 60_000,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`only its first ${MAX_EMBED_CHARS} are embedded`);
    process.stderr.write(`[input] 1 MB item indexed in ${Date.now() - started} ms\n`);
  }, 90_000);
});

describe('file-system errors are one line naming the file and the fix', () => {
  it('--store pointing at a file', async () => {
    const file = path.join(work, 'a-file');
    await writeFile(file, 'x');
    const result = await runCliAsync([
      'index',
      examplesDir,
      '--store',
      file,
      '--embedder',
      'hashing',
      '--quiet',
    ]);
    expect(result.code).toBe(1);
    // One error line; the examples' skipped chatter lines (warnings) come before it.
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('warning: ')),
    ).toEqual([expect.stringMatching(new RegExp(`^salon-lens: ${file}: .*need a folder`))]);
  });

  it('verify reports a manifest it cannot read instead of throwing', async () => {
    const dir = path.join(work, 'manifest-dir');
    await mkdir(path.join(dir, 'manifest.json'), { recursive: true });
    const result = await runCliAsync(['verify', '--store', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`problem: ${path.join(dir, 'manifest.json')}: cannot be read`);
    expect(result.stderr).not.toContain('unexpected error');
  });

  it('EACCES on the store and on an input file (run as an unprivileged user)', async (ctx) => {
    if (process.getuid?.() !== 0 || !hasSetpriv()) ctx.skip(); // needs root to switch user
    await chmod(work, 0o755); // the other user may walk into the test folder, no more
    const store = path.join(work, 'root-owned-store');
    await examplesStoreAt(store);
    const secret = await folder('secret', { 'private.md': doc('2024-03-03 Ai salon - P', ['x']) });
    await chmod(path.join(secret, 'private.md'), 0o600);
    const asNobody = (args: string[]) =>
      runCli(args, { wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] });
    const locked = asNobody(['index', examplesDir, '--store', store, '--quiet']);
    expect(locked.code).toBe(1);
    expect(
      locked.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('warning: ')),
    ).toHaveLength(1);
    expect(locked.stderr).toMatch(
      new RegExp(`${store}/lock: permission denied: give your user access`),
    );
    const unreadable = asNobody(['parse', secret]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr.trim()).toBe(
      `salon-lens: ${path.join(secret, 'private.md')}: permission denied: give your user read access to it (chmod/chown) or leave it out`,
    );
  }, 60_000);

  it('ENOSPC mid-save (a real full tmpfs): one line, and the store stays as it was', async (ctx) => {
    if (process.getuid?.() !== 0 || !(await canMountTmpfs())) ctx.skip(); // needs a mount namespace
    const node = process.execPath;
    const salons = await folder('enospc', {});
    await cp(examplesDir, salons, { recursive: true });
    const [first, ...rest] = (await loadSalons([salons])).salons.map((s) => s.source);
    const script = [
      'set -e',
      'mnt=$(mktemp -d)',
      'mount -t tmpfs -o size=1m tmpfs "$mnt"',
      `${node} ${cliPath} index ${first} --store "$mnt/s" --embedder hashing --quiet`,
      // Leave ~40 kB free: the next save's files do not fit.
      'avail=$(df -k --output=avail "$mnt" | tail -1)',
      'dd if=/dev/zero of="$mnt/filler" bs=1k count=$((avail - 40)) status=none',
      `${node} ${cliPath} index ${rest.join(' ')} --store "$mnt/s" --quiet 2>"$mnt/err" && echo ADDED || echo FAILED`,
      'head -c 1000 "$mnt/err"',
      'rm "$mnt/filler"',
      `${node} ${cliPath} verify --store "$mnt/s"`,
    ].join('\n');
    const out = execFileSync('unshare', ['--mount', 'sh', '-c', script], { encoding: 'utf8' });
    expect(out).toContain('FAILED');
    expect(out).toMatch(
      /salon-lens: \/tmp\/.*\/s\/.*: no space left on the device: nothing was changed/,
    );
    expect(out).not.toContain('unexpected error');
    expect(out).toMatch(/ok: .*: \d+ items from 1 salons, generation 1,/);
  }, 60_000);

  it('parse --json | head: a closed pipe ends quietly', async () => {
    // Output far beyond a pipe's buffer, so writes go on after head has left.
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) {
      const bullets = Array.from({ length: 200 }, (_, j) =>
        `insight ${j} of salon ${i} `.repeat(4),
      );
      files[`s${i}.md`] = doc(
        `2024-05-${String((i % 28) + 1).padStart(2, '0')} Ai salon - S${i}`,
        bullets,
      );
    }
    const big = await folder('pipe', files);
    const out = execFileSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${cliPath}" parse "${big}" --json 2>"${big}/err" | head -c 100 >/dev/null; ` +
          `echo "exit=\${PIPESTATUS[0]}"; cat "${big}/err"`,
      ],
      { encoding: 'utf8' },
    );
    expect(out).toBe('exit=0\n');
  }, 60_000);

  it('option errors name the flag the user typed', async () => {
    const store = examplesStore;
    const ef = await runCliAsync(['search', 'x', '--store', store, '--ef', '200000']);
    expect(ef.code).toBe(2);
    expect(ef.stderr).toMatch(/^salon-lens: --ef: /);
    expect(ef.stderr).not.toContain('openLens');
    const k = await runCliAsync(['themes', '--store', store, '--k', '500']);
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/^salon-lens: --k: 500 themes asked for, but there are only 80 items/);
    const api = await SalonLens.open(store, { readOnly: true });
    try {
      await expect(api.report({ builtAt: 'yesterday' })).rejects.toThrow(/report options\.builtAt/);
    } finally {
      await api.close();
    }
  }, 60_000);
});

describe('validation: symlinks, dates, k, empty salons', () => {
  it('a folder of symlinked documents is read, and a symlink loop ends', async () => {
    const links = path.join(work, 'links');
    await mkdir(links);
    for (const name of [
      '2024-09-14-ai-salon-who-owns-the-models.md',
      '2024-10-19-ai-salon-art-and-authorship.md',
    ]) {
      await symlink(path.join(examplesDir, name), path.join(links, name));
    }
    await symlink(links, path.join(links, 'loop'));
    const { salons } = await loadSalons([links]);
    expect(salons.map((s) => s.id)).toEqual([
      '2024-09-14-who-owns-the-models',
      '2024-10-19-art-and-authorship',
    ]);
  });

  it('impossible dates and reversed ranges are refused by the CLI and the API alike; so is k = 1', async () => {
    const store = examplesStore;
    const bad = await runCliAsync(['search', 'x', '--store', store, '--from', '2023-13-45']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a real calendar date as YYYY-MM-DD, got "2023-13-45"');
    const reversed = await runCliAsync([
      'search',
      'x',
      '--store',
      store,
      '--from',
      '2025-01-01',
      '--to',
      '2024-01-01',
    ]);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(
      /^salon-lens: --to: 2024-01-01 is before the start of the range/,
    );
    const lens = await SalonLens.open(store, { readOnly: true });
    try {
      for (const options of [
        { dateFrom: '2023-13-45' },
        { dateFrom: '2023-02-30' },
        { dateFrom: '2025-01-01', dateTo: '2024-01-01' },
      ]) {
        await expect(lens.search('x', options)).rejects.toSatisfy((e) =>
          isSalonLensError(e, 'INVALID_OPTIONS'),
        );
      }
      // (sync or async depending on the version: either way it must refuse)
      await expect(
        Promise.resolve().then(() =>
          lens.similarQuestions({ dateFrom: '2025-01-01', dateTo: '2024-01-01' }),
        ),
      ).rejects.toThrow(/dateTo/);
      await expect(lens.themes({ k: 1 })).rejects.toSatisfy((e) =>
        isSalonLensError(e, 'INVALID_OPTIONS'),
      );
    } finally {
      await lens.close();
    }
  }, 60_000);

  it('a headings-only document is a warning', async () => {
    const dir = await folder('headings-only', {
      'empty.md':
        'These are the takeaways from the conversation: 2024-04-04 Ai salon - Empty\n\n# Insights\n\n# Questions\n',
    });
    const { salons, warnings } = await loadSalons([dir]);
    expect(salons[0]?.items).toEqual([]);
    expect(warnings).toEqual([
      {
        file: path.join(dir, 'empty.md'),
        message: 'holds section headings but no items: the salon has nothing to search or cluster',
      },
    ]);
  });
});

function hasSetpriv(): boolean {
  return spawnSync('setpriv', ['--version']).status === 0;
}

async function canMountTmpfs(): Promise<boolean> {
  const probe = spawnSync('unshare', [
    '--mount',
    'sh',
    '-c',
    'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d"',
  ]);
  return probe.status === 0;
}
