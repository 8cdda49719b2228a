/**
 * Inputs from the third hostile review (issue #26), end to end through the CLI:
 * argv-sized queries and path lists with the bundled model (once a SIGSEGV),
 * --query-file and --from-file, impossible header dates, titles that differ only
 * in diacritics, FIFOs and devices named like documents, and binary guide files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSalon } from '../src/parse/index.js';
import { indexExamplesWithHashing, requireBuiltCli, runCli } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { cliPath, examplesDir, repoRoot } from './helpers/shared-data.js';

let work: string;
beforeAll(async () => {
  requireBuiltCli();
  work = await tempStoreDir('input-limits-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const doc = (header: string, bullets: string[]) =>
  `These are the takeaways from the conversation: ${header}\n\n# Insights\n\n${bullets.map((b) => `- ${b}`).join('\n')}\n`;

/** The CLI with `input` on its stdin. */
function runWithStdin(args: string[], input: string | Buffer) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('argv of tens of kB with the bundled model (was SIGSEGV, exit 139)', () => {
  let store: string;
  let docs: string[];
  const query = `privacy and who owns the data ${'and more words '.repeat(4300)}`.slice(0, 60_000);

  beforeAll(async () => {
    // 1,000 distinct one-item salons, named by absolute paths: ~50 kB of argv.
    const dir = path.join(work, 'thousand');
    await mkdir(dir, { recursive: true });
    const topics = ['privacy', 'copyright', 'compute', 'energy', 'labour', 'education', 'law'];
    docs = [];
    for (let i = 0; i < 1000; i++) {
      const file = path.join(dir, `salon-${String(i).padStart(4, '0')}.md`);
      const a = topics[i % topics.length];
      const b = topics[(i * 3 + 1) % topics.length];
      await writeFile(
        file,
        doc(`2024-01-01 Ai salon - topic ${i}.m4a`, [`${a} and ${b}, note ${i}`]),
      );
      docs.push(file);
    }
    store = path.join(work, 'thousand-store');
  });

  it('index over 1,000 absolute paths exits 0', () => {
    expect(docs.join(' ').length).toBeGreaterThan(40_000);
    const run = runCli(['index', ...docs, '--store', store, '--quiet', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ added: 1000, salonCount: 1000, embedder: 'use-lite@512' });
  }, 300_000);

  it('a 60 kB query exits 0 and says it was cut to 2,000 characters; --query-file - gives the same hits', () => {
    expect(query.length).toBe(60_000);
    const byArgument = runCli(['search', query, '--store', store, '--json', '-k', '3']);
    expect(byArgument.code, byArgument.stderr).toBe(0);
    expect(byArgument.stderr).toContain(
      'warning: the query is 60000 characters; only its first 2000 are embedded',
    );
    const hits = JSON.parse(byArgument.stdout);
    expect(hits).toHaveLength(3);

    const byStdin = runWithStdin(
      ['search', '--query-file', '-', '--store', store, '--json', '-k', '3'],
      `${query}\n`,
    );
    expect(byStdin.code, byStdin.stderr).toBe(0);
    expect(byStdin.stderr).toContain('the query is 60000 characters');
    expect(JSON.parse(byStdin.stdout)).toEqual(hits);
  }, 300_000);
});

describe('search --query-file and index --from-file', () => {
  let store: string;
  beforeAll(() => {
    store = path.join(work, 'examples-store');
    indexExamplesWithHashing(store, examplesDir);
  });

  it('--query-file reads a file; an empty, binary or missing one, or both forms at once, is refused', async () => {
    const search = (...args: string[]) => runCli(['search', ...args, '--store', store]);
    const file = path.join(work, 'query.txt');
    await writeFile(file, 'who owns the data\n');
    const fromFile = search('--query-file', file, '--json');
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual(
      JSON.parse(search('who owns the data', '--json').stdout),
    );

    await writeFile(path.join(work, 'empty.txt'), '\n');
    const empty = search('--query-file', path.join(work, 'empty.txt'));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('the query is empty');
    const binary = runWithStdin(
      ['search', '--query-file', '-', '--store', store],
      Buffer.from([0x50, 0, 1, 2]),
    );
    expect(binary.code).toBe(1);
    expect(binary.stderr).toContain('--query-file - (stdin):1: expected a text document');
    const missing = search('--query-file', path.join(work, 'nope.txt'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.txt: cannot be read (ENOENT)');
    const both = search('x', '--query-file', file);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const neither = search();
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("missing required argument 'query'");
  });

  it('--from-file reads paths one a line or NUL-separated (spaces kept), from a file or stdin', async () => {
    const dir = path.join(work, 'from file');
    await mkdir(dir, { recursive: true });
    const files = ['a b.md', 'c.md', 'd.md'].map((name) => path.join(dir, name));
    for (const [i, file] of files.entries()) {
      await writeFile(file, doc(`2024-03-0${i + 1} Ai salon - listed ${i}`, [`item ${i}`]));
    }
    const lines = path.join(work, 'list.txt');
    await writeFile(lines, `${files[0]}\n\n${files[1]}\n`);
    const fromLines = runCli([
      'index',
      '--from-file',
      lines,
      files[2] as string,
      '--store',
      path.join(work, 'from-lines'),
      '--embedder',
      'hashing',
      '--json',
      '--quiet',
    ]);
    expect(fromLines.code, fromLines.stderr).toBe(0);
    expect(JSON.parse(fromLines.stdout).salonCount).toBe(3);

    const fromNul = runWithStdin(
      [
        'index',
        '--from-file',
        '-',
        '--store',
        path.join(work, 'from-nul'),
        '--embedder',
        'hashing',
        '--json',
        '--quiet',
      ],
      `${files.join('\0')}\0`,
    );
    expect(fromNul.code, fromNul.stderr).toBe(0);
    expect(JSON.parse(fromNul.stdout).salonCount).toBe(3);

    const empty = runWithStdin(
      ['index', '--from-file', '-', '--store', path.join(work, 'none')],
      '\n',
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('--from-file -: lists no paths');
    const neither = runCli(['index', '--store', path.join(work, 'none')]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("missing required argument 'paths'");
  });
});

describe('recording headers with impossible dates', () => {
  it.each(['2024-02-30', '2024-13-01'])('%s is refused naming the file and line', async (date) => {
    const dir = path.join(work, `bad-date-${date}`);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'salon.md');
    await writeFile(file, `\n${doc(`${date} Ai salon - bogus.m4a`, ['one'])}`);
    const run = runCli(['index', dir, '--store', path.join(dir, 'store'), '--embedder', 'hashing']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${file}:2: expected a real calendar date (YYYY-MM-DD) in the recording header, found "${date}"`,
    );
    // Without a header, the file name's date must be real too.
    const named = path.join(dir, `${date} notes.md`);
    await writeFile(named, '# Insights\n\n- one\n');
    const byName = runCli(['parse', named]);
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain(
      `${named}:1: expected a recording header, or a real calendar date`,
    );
    // A real day still parses, and is the salon's date.
    expect(parseSalon(doc('2024-02-29 Ai salon - leap.m4a', ['x']), { source: 'a.md' }).date).toBe(
      '2024-02-29',
    );
  });
});

describe('titles that differ only in diacritics', () => {
  const id = (title: string) =>
    parseSalon(doc(`2024-05-01 Ai salon - ${title}.m4a`, ['x']), { source: 'a.md' }).id;

  it('get distinct ids; plain ASCII ids stay as they were; NFC and NFD spellings agree', () => {
    expect(id('Uber KI')).toBe('2024-05-01-uber-ki');
    expect(id('Cafe')).toBe('2024-05-01-cafe');
    expect(id('Über KI')).toMatch(/^2024-05-01-uber-ki-[0-9a-f]{8}$/);
    expect(id('Café')).toMatch(/^2024-05-01-cafe-[0-9a-f]{8}$/);
    expect(id('Café')).not.toBe(id('Cafè'));
    expect(id('Cafe\u0301')).toBe(id('Caf\u00e9'));
  });

  it('indexed in two runs, both salons are kept', async () => {
    const one = path.join(work, 'diacritics-1');
    const two = path.join(work, 'diacritics-2');
    await mkdir(one, { recursive: true });
    await mkdir(two, { recursive: true });
    await writeFile(path.join(one, 'uber.md'), doc('2024-05-01 Ai salon - Uber KI', ['plain']));
    await writeFile(path.join(two, 'ueber.md'), doc('2024-05-01 Ai salon - Über KI', ['umlaut']));
    const store = path.join(work, 'diacritics-store');
    const first = runCli(['index', one, '--store', store, '--embedder', 'hashing', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const second = runCli(['index', two, '--store', store, '--quiet', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('warning');
    expect(JSON.parse(second.stdout)).toMatchObject({ added: 1, salonCount: 2 });
  });
});

describe('a FIFO or a device named *.md inside a folder', () => {
  it('is not read (no hang) and is listed as skipped on stderr and in --json', async () => {
    const dir = path.join(work, 'special');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'ok.md'), doc('2024-06-01 Ai salon - ok', ['fine']));
    execFileSync('mkfifo', [path.join(dir, 'pipe.md')]);
    await symlink('/dev/zero', path.join(dir, 'zero.md'));
    const run = runCli(
      [
        'index',
        dir,
        '--store',
        path.join(work, 'special-store'),
        '--embedder',
        'hashing',
        '--json',
        '--quiet',
      ],
      { killAfterMs: 60_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const pipe = path.join(dir, 'pipe.md');
    const zero = path.join(dir, 'zero.md');
    expect(run.stderr).toContain(
      `skipped: ${pipe}: a named pipe (FIFO), not a regular file; not read`,
    );
    expect(run.stderr).toContain(
      `skipped: ${zero}: a character device, not a regular file; not read`,
    );
    const summary = JSON.parse(run.stdout);
    expect(summary.salonCount).toBe(1);
    expect(summary.skipped.map((s: { file: string }) => s.file).sort()).toEqual([pipe, zero]);
  });
});

describe('themes --guide-file', () => {
  it('refuses a binary file (NUL bytes or invalid UTF-8) naming the option and file', async () => {
    const store = path.join(work, 'guide-store');
    indexExamplesWithHashing(store, examplesDir);
    const nul = path.join(work, 'guide.bin');
    await writeFile(nul, Buffer.from('privacy\ncopyright\n\u0000\u0001\u0002binary'));
    const invalid = path.join(work, 'guide.txt');
    await writeFile(invalid, Buffer.from([0x70, 0x72, 0x69, 0xff, 0xfe, 0x0a, 0xc3]));
    for (const [file, found] of [
      [nul, 'binary content (NUL bytes) (line 3)'],
      [invalid, 'an invalid UTF-8 byte sequence (line 1)'],
    ] as const) {
      const run = runCli(['themes', '--store', store, '--guide-file', file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `--guide-file ${file}: expected a text file of theme names, found ${found}`,
      );
      expect(run.stdout).toBe('');
    }
  });
});
