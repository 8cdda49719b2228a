/**
 * Content the parser leaves out reaches every result: `lens.add()`'s summary,
 * `analyze()`, the report's "skipped content" note; `strict` refuses before
 * anything is stored; heading aliases map an unknown heading to a section.
 * The document: two disagreements under `### Where we disagreed`.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { warningLines } from '../src/cli/content-warnings.js';
import { analyze, isSalonLensError, loadSalons, SalonLens } from '../src/index.js';
import { tempStoreDir } from './helpers/index-store.js';
import { fixturesDir } from './helpers/shared-data.js';

const docs = path.join(fixturesDir, 'warnings');
const file = path.join(docs, '2024-05-01-ai-salon-disagreements-heading.md');
const hashing = { backend: 'hashing' } as const;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await tempStoreDir('warn-');
  dirs.push(d);
  return d;
}

describe('warnings in every result', () => {
  it('lens.add() returns the skipped heading; strict refuses and stores nothing', async () => {
    const dir = await tmp();
    const lens = await SalonLens.create(path.join(dir, 'store'), { embedder: hashing });
    try {
      await expect(lens.add([docs], { strict: true })).rejects.toSatisfy(
        (e) =>
          isSalonLensError(e, 'INPUT_ERROR') &&
          e.message.includes(`${file}:10: unknown section "Where we disagreed"`) &&
          e.message.includes('Nothing was stored'),
      );
      expect(lens.info.itemCount).toBe(0);
      const summary = await lens.add([docs]);
      expect(summary.warnings).toEqual([
        {
          file,
          kind: 'unknown-section',
          line: 10,
          message: 'unknown section "Where we disagreed"; its content is skipped',
          salonId: '2024-05-01-local-models',
          text: '### Where we disagreed',
        },
      ]);
      expect(lens.info.itemCount).toBe(3);
    } finally {
      await lens.close();
    }
  });

  it('heading aliases map the heading to a section: no warning, the 2 disagreements kept', async () => {
    const aliases = { '### Where we disagreed': 'disagreement' } as const;
    const { salons } = await loadSalons([docs], { headingAliases: aliases });
    expect(salons[0]?.warnings).toEqual([]);
    expect(salons[0]?.items.filter((i) => i.section === 'disagreement')).toHaveLength(2);
    // Compared like headings are: case, emphasis and a trailing colon do not matter.
    const loose = await loadSalons([docs], {
      headingAliases: { '**where WE disagreed:**': 'disagreement' },
    });
    expect(loose.salons[0]?.items).toHaveLength(5);
  });

  it("analyze() returns them, and the report notes the salon's skipped content", async () => {
    const dir = await tmp();
    const result = await analyze([docs], {
      store: path.join(dir, 'store'),
      outDir: path.join(dir, 'out'),
      embedder: hashing,
      formats: ['md', 'json'],
      themes: { k: 2 },
    });
    expect(result.warnings.map((w) => [w.kind, w.line])).toEqual([['unknown-section', 10]]);
    expect(result.added.warnings).toEqual(result.warnings);
    const md = await readFile(path.join(dir, 'out', 'report.md'), 'utf8');
    expect(md).toContain('**Skipped content**');
    expect(md).toContain('unknown section "Where we disagreed", content skipped (line 10)');
    const json = JSON.parse(await readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(json.salons[0].skipped).toEqual([
      {
        line: 10,
        kind: 'unknown-section',
        message: 'unknown section "Where we disagreed"; its content is skipped',
      },
    ]);
    await expect(
      analyze([docs], { store: path.join(dir, 'strict'), embedder: hashing, strict: true }),
    ).rejects.toSatisfy((e) => isSalonLensError(e, 'INPUT_ERROR'));
  });
});

describe('warning lines for the CLI', () => {
  const w = (file: string, line: number, kind: 'chatter' | 'unknown-section', message: string) => ({
    file,
    line,
    kind,
    message,
  });
  it('one line each up to 10, then one per document and kind with a count', () => {
    const few = [w('a.md', 3, 'chatter', 'prose; skipped')];
    expect(warningLines(few)).toEqual(['warning: a.md:3: prose; skipped']);
    const many = [
      ...Array.from({ length: 11 }, (_, i) => w('a.md', i + 1, 'chatter', 'prose; skipped')),
      w('b.md', 9, 'unknown-section', 'unknown section "X"; its content is skipped'),
    ];
    expect(warningLines(many)).toEqual([
      'warning: a.md: 11× chatter: prose; skipped (lines 1, 2, 3, …)',
      'warning: b.md:9: unknown section "X"; its content is skipped',
      '12 warnings in 2 document(s); `salon-lens parse <paths>` lists every line',
    ]);
  });
});
