/**
 * Reports against hostile documents and folders (issue #26): terminal controls
 * never reach report.md / report.html raw, a 5,000-character word never becomes a
 * theme keyword, and `report --out` never replaces a report file the user wrote.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { themeLabels } from '../src/cluster/theme-titles.js';
import { renderHtml, renderJson, renderMarkdown } from '../src/report/index.js';
import { indexExamplesWithHashing, requireBuiltCli, runCli } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { makeReportData } from './helpers/report-fixture.js';
import { examplesDir } from './helpers/shared-data.js';

let work: string;
beforeAll(async () => {
  requireBuiltCli();
  work = await tempStoreDir('report-safety-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Each kind of control the review found in report.md, as a document would carry it. */
const CONTROLS = {
  clearScreen: '\u001b[2J\u001b[H',
  retitle: '\u001b]0;pwned\u0007',
  hiddenLink: '\u001b]8;;https://evil.example/\u001b\\click here\u001b]8;;\u001b\\',
  bell: '\u0007',
  c1: '\u009b31m',
  bidi: 'txt.\u202eexe',
};
/** Any of them raw (tab and newline are a file's own layout). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('terminal controls from documents', () => {
  it('renderers show every control as \\uXXXX in titles, file names, labels and items', () => {
    const data = structuredClone(makeReportData());
    const all = Object.values(CONTROLS).join(' ');
    data.title = `Title ${CONTROLS.retitle}`;
    for (const salon of data.salons) {
      salon.title = `Salon ${all}`;
      salon.source = `${CONTROLS.bidi}.md`;
    }
    for (const item of data.items) item.text = `${item.text} ${all}`;
    for (const theme of data.themes.themes) theme.label = `Theme ${CONTROLS.hiddenLink}`;
    for (const [name, text] of [
      ['md', renderMarkdown(data)],
      ['html', renderHtml(data)],
    ] as const) {
      expect(RAW.exec(text)?.[0], name).toBeUndefined();
      // Shown, not dropped (Markdown also escapes the "]" after the ESC).
      for (const shown of ['\\u001b', '\\u0007', '\\u009b', '\\u202e']) {
        expect(text, name).toContain(shown);
      }
    }
    // report.json keeps the exact text for programs.
    expect(JSON.parse(renderJson(data)).title).toBe(data.title);
  });

  it('report.md and report.html written from a document holding each control carry none raw', async () => {
    const dir = path.join(work, 'controls');
    await mkdir(dir, { recursive: true });
    const bullets = Object.entries(CONTROLS).map(([name, c]) => `- ${name} item ${c} ends here`);
    await writeFile(
      path.join(dir, 'hostile.md'),
      `These are the takeaways from the conversation: 2024-07-01 Ai salon - Title ${CONTROLS.retitle}${CONTROLS.bidi}\n\n# Insights\n\n${bullets.join('\n')}\n`,
    );
    const out = path.join(work, 'controls-report');
    const run = runCli([
      'report',
      dir,
      '--store',
      path.join(work, 'controls-store'),
      '--out',
      out,
      '--embedder',
      'hashing',
      '--quiet',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    for (const file of ['report.md', 'report.html']) {
      const text = await readFile(path.join(out, file), 'utf8');
      expect(RAW.exec(text)?.[0], file).toBeUndefined();
      // The salon title (retitle + bidi) is in both, shown escaped.
      for (const shown of ['\\u001b', '\\u0007', '\\u202e']) expect(text, file).toContain(shown);
    }
    const json = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    expect(json.items.map((i: { text: string }) => i.text).join('')).toContain(CONTROLS.hiddenLink);
  });
});

describe('a 5,000-character word in items', () => {
  it('never becomes a keyword or a theme title', () => {
    const word = 'a'.repeat(5000);
    const texts = [1, 2, 3, 4].map((i) => `The ${word} shows up in item ${i} about privacy.`);
    const other = ['Copyright of model weights.', 'Copyright of model outputs.'];
    const labels = themeLabels(
      [
        { texts, scores: texts.map(() => 1) },
        { texts: other, scores: other.map(() => 1) },
      ],
      5,
    );
    expect(labels[0]?.keywords.join(' ').toLowerCase()).toContain('privacy');
    for (const { title, keywords } of labels) {
      for (const k of keywords) expect(k.length).toBeLessThanOrEqual(40);
      expect(title.length).toBeLessThan(100);
    }
  });
});

describe('report --out next to files the user wrote', () => {
  let store: string;
  beforeAll(() => {
    store = path.join(work, 'out-store');
    indexExamplesWithHashing(store, examplesDir);
  });

  it.each([
    ['report.md', '# My own notes\n'],
    ['report.html', '<!doctype html><title>mine</title>\n'],
    ['report.json', '{ "mine": true }\n'],
  ])('a user-written %s is refused (nothing written) unless --overwrite', async (name, own) => {
    const out = path.join(work, `own-${name}`);
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, name), own);
    const refused = runCli(['report', '--store', store, '--out', out, '--quiet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${path.join(out, name)} exists and was not written by salon-lens`,
    );
    expect(refused.stderr).toContain('--overwrite');
    expect(await readFile(path.join(out, name), 'utf8')).toBe(own);
    expect(await readdir(out)).toEqual([name]);

    const replaced = runCli(['report', '--store', store, '--out', out, '--quiet', '--overwrite']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(await readFile(path.join(out, name), 'utf8')).not.toBe(own);
    // Our own files carry the marker: the next run replaces them without asking.
    const again = runCli(['report', '--store', store, '--out', out, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['report.html', 'report.json', 'report.md']);
  });

  it('an existing report from before the JSON marker is still recognised as ours', async () => {
    const out = path.join(work, 'old-json');
    const first = runCli(['report', '--store', store, '--out', out, '--quiet', '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const file = path.join(out, 'report.json');
    const { generator, ...old } = JSON.parse(await readFile(file, 'utf8'));
    expect(generator).toBe('salon-lens');
    await writeFile(file, JSON.stringify(old));
    const again = runCli(['report', '--store', store, '--out', out, '--quiet', '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
  });
});
