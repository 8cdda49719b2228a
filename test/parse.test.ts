import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSalonLensError, SalonParseError } from '../src/errors.js';
import {
  loadSalons,
  parseSalon,
  renderSalon,
  type Salon,
  SalonSchema,
} from '../src/parse/index.js';
import { examplesDir, fixturesDir, sharedPath } from './helpers/shared-data.js';

const fixture = (name: string) => path.join(fixturesDir, 'parse', name);
const parseFixture = (name: string) =>
  parseSalon(readFileSync(fixture(name)), { source: fixture(name) });
const countBySection = (salon: Salon) => ({
  insight: salon.items.filter((i) => i.section === 'insight').length,
  question: salon.items.filter((i) => i.section === 'question').length,
  disagreement: salon.items.filter((i) => i.section === 'disagreement').length,
});
const NOISE = ['Let me know', 'I aimed', 'Draw connections', 'Identify assumptions'];

function expectParseError(
  fn: () => unknown,
  match: { line: number; expected: RegExp; file: string },
) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SalonParseError);
  const error = caught as SalonParseError;
  expect(error.code).toBe('PARSE_ERROR');
  expect(error.line).toBe(match.line);
  expect(error.expected).toMatch(match.expected);
  expect(error.message).toContain(`${match.file}:${match.line}`);
}

describe('parseSalon on the real seed document', () => {
  const seedDir = sharedPath('seed');
  it.skipIf(!seedDir)(
    'finds exactly 45 insights, 50 questions, 19 disagreements and no noise',
    () => {
      const file = path.join(seedDir as string, '000_0b8ac2255055a110.txt');
      const salon = parseSalon(readFileSync(file), { source: file });
      expect(countBySection(salon)).toEqual({ insight: 45, question: 50, disagreement: 19 });
      for (const item of salon.items)
        for (const noise of NOISE) expect(item.text).not.toContain(noise);
      expect(salon).toMatchObject({
        id: '2023-11-25-decentralization',
        date: '2023-11-25',
        title: 'decentralization',
      });
      expect(() => SalonSchema.parse(salon)).not.toThrow();
      // Every dropped line is reported with its line number.
      const dropped = salon.warnings.map((w) => w.text);
      expect(dropped.some((t) => t.startsWith('Draw connections'))).toBe(true);
      expect(dropped.some((t) => t.startsWith('I aimed'))).toBe(true);
    },
  );

  it.skipIf(!seedDir)('strips [Disagreement N] prefixes and keeps the words', () => {
    const file = path.join(seedDir as string, '000_0b8ac2255055a110.txt');
    const salon = parseSalon(readFileSync(file), { source: file });
    const texts = salon.items.map((i) => i.text);
    expect(texts.some((t) => t.includes('[Disagreement'))).toBe(false);
    expect(texts).toContain(
      "Whether individual user data has significant monetary value to tech companies. Some argue that an individual's data does not have much value, while others argue that companies are still able to manipulate and restrict freedom even if the raw data itself has little value.",
    );
  });
});

describe('parseSalon on the hand-labelled corpus', () => {
  const corpusDir = sharedPath('corpus');
  it.skipIf(!corpusDir)(
    'parses to exactly the labelled items: every one found, nothing else',
    async () => {
      const labels = JSON.parse(
        await readFile(path.join(corpusDir as string, 'labels.json'), 'utf8'),
      ) as Array<{
        salon: string;
        section: string;
        text: string;
      }>;
      const { salons } = await loadSalons([corpusDir as string]);
      const got = salons.flatMap((s) =>
        s.items.map((i) => `${path.basename(s.source)}|${i.section}|${i.text}`),
      );
      const want = labels.map((l) => `${l.salon}|${l.section}|${l.text}`);
      expect(new Set(got).size).toBe(got.length);
      expect([...got].sort()).toEqual([...want].sort());
    },
  );
});

describe('parseSalon rules', () => {
  it('keeps every item of a document written entirely with * bullets', () => {
    const salon = parseFixture('star-bullets.md');
    expect(countBySection(salon)).toEqual({ insight: 3, question: 2, disagreement: 1 });
    // An imperative-sounding takeaway that is a full sentence is an item, not a leaked instruction.
    expect(salon.items[2]?.text).toBe(
      'Develop shared benchmarks so that open models can be compared fairly.',
    );
    expect(salon.warnings).toEqual([]);
  });

  it('recognises heading variants, numbered and • bullets, and wrapped lines', () => {
    const salon = parseFixture('variants.md');
    expect(salon.id).toBe('variants');
    expect(salon.date).toBeUndefined();
    expect(countBySection(salon)).toEqual({ insight: 3, question: 2, disagreement: 2 });
    const insights = salon.items.filter((i) => i.section === 'insight').map((i) => i.text);
    expect(insights).toEqual([
      'A wrapped bullet can continue on an indented line, and the words are joined with single spaces.',
      'A hard-wrapped bullet may also continue without indentation when the sentence is cut in the middle.',
      'Trailing spaces and tabs are normalised.',
    ]);
    const disagreements = salon.items.filter((i) => i.section === 'disagreement');
    expect(disagreements.map((d) => d.text)).toEqual([
      'Whether compute thresholds are a good trigger for regulation. Some said they are measurable, others that they age quickly.',
      'Whether AI should have rights.',
    ]);
    // Curly quotes and dashes are kept exactly as written.
    expect(salon.items.map((i) => i.text)).toContain(
      'Is “open source” the right term for open-weight models?',
    );
    expect(salon.items.map((i) => i.text)).toContain(
      'What happens when an AI–generated image is used as evidence in court?',
    );
  });

  it('warns about unknown sections, skips their content, and reports empty sections', () => {
    const salon = parseFixture('variants.md');
    const texts = salon.items.map((i) => i.text);
    expect(texts).not.toContain('Book the next venue.');
    const kinds = salon.warnings.map((w) => [w.kind, w.line]);
    expect(kinds).toContainEqual(['unknown-section', 11]);
    expect(kinds).toContainEqual(['empty-section', 23]);
    expect(kinds).toContainEqual(['outside-section', 1]);
  });

  it('gives items stable ids, ordinals and source lines', () => {
    const salon = parseFixture('star-bullets.md');
    expect(salon.items[0]).toMatchObject({
      id: '2024-05-04-star-bullets#i1',
      ordinal: 1,
      line: 4,
      section: 'insight',
    });
    expect(salon.items[3]).toMatchObject({ id: '2024-05-04-star-bullets#q1', ordinal: 1, line: 9 });
  });

  it('handles CRLF line endings and a UTF-8 BOM', () => {
    const salon = parseFixture('crlf-bom.md');
    expect(salon.id).toBe('2024-02-02-windows');
    expect(salon.items.map((i) => i.text)).toEqual([
      'Line endings from Windows must not leak into item text.',
      'Does a BOM at the start confuse the header?',
    ]);
  });

  it('accepts sections in any order and repeated sections', () => {
    const text = [
      '# Disagreements',
      '- Whether one thing or another.',
      '# Questions',
      '- Why?',
      '# Insights',
      '- First insight.',
      '# Questions',
      '- And why not?',
    ].join('\n');
    const salon = parseSalon(text, { source: 'notes/2024-07-07 ai salon - order.md' });
    expect(salon).toMatchObject({ id: '2024-07-07-order', date: '2024-07-07', title: 'order' });
    expect(salon.items.map((i) => i.id)).toEqual([
      '2024-07-07-order#d1',
      '2024-07-07-order#q1',
      '2024-07-07-order#i1',
      '2024-07-07-order#q2',
    ]);
  });

  it('drops chatter and leaked instruction bullets with their line numbers', () => {
    const text = [
      '# Insights',
      '- Real insight one.',
      'Let me know if you would like me to elaborate on any of these insights.',
      '- Extract 3-5 non-obvious insights from this portion of the conversation, each 2-4 sentences long',
      '* Each insight should be 2-4 sentences',
      '* Do not attribute statements to specific individuals',
      '- Real insight two.',
      '# Questions',
      '- Phrase each question so it can be understood without reading the transcript',
      '- A real question?',
    ].join('\n');
    const salon = parseSalon(text, { source: 'x.md' });
    expect(salon.items.map((i) => i.text)).toEqual([
      'Real insight one.',
      'Real insight two.',
      'A real question?',
    ]);
    expect(salon.warnings.map((w) => [w.line, w.kind])).toEqual([
      [3, 'chatter'],
      [4, 'instruction'],
      [5, 'instruction'],
      [6, 'instruction'],
      [9, 'instruction'],
    ]);
  });

  it('keeps terse noun-phrase bullets without final punctuation', () => {
    const salon = parseSalon('# Insights\n- Privacy of students\n- Open models and lock-in\n', {
      source: 'n.md',
    });
    expect(salon.items.map((i) => i.text)).toEqual([
      'Privacy of students',
      'Open models and lock-in',
    ]);
  });

  it('round-trips through renderSalon', () => {
    const salon = parseFixture('variants.md');
    const again = parseSalon(renderSalon(salon), { source: 'variants.md' });
    const bySection = (s: Salon) => s.items.map((i) => `${i.section}|${i.text}`).sort();
    expect(bySection(again)).toEqual(bySection(salon));
  });
});

describe('parseSalon errors', () => {
  it('rejects an empty file', () => {
    expectParseError(() => parseFixture('empty.md'), {
      line: 1,
      expected: /section heading/,
      file: fixture('empty.md'),
    });
  });
  it('rejects a document with no recognisable section', () => {
    expectParseError(() => parseFixture('no-sections.md'), {
      line: 1,
      expected: /section heading/,
      file: fixture('no-sections.md'),
    });
  });
  it('rejects binary content', () => {
    expectParseError(() => parseFixture('binary.md'), {
      line: 3,
      expected: /text document/,
      file: fixture('binary.md'),
    });
  });
  it('rejects invalid UTF-8 and names the line', () => {
    expectParseError(() => parseFixture('invalid-utf8.md'), {
      line: 3,
      expected: /UTF-8/,
      file: fixture('invalid-utf8.md'),
    });
  });
  it('refuses documents over the size limit with a hint how to raise it', () => {
    let caught: unknown;
    try {
      parseSalon('# Insights\n- x.\n'.repeat(100), { source: 'big.md', maxBytes: 100 });
    } catch (error) {
      caught = error;
    }
    expect(isSalonLensError(caught, 'INPUT_TOO_LARGE')).toBe(true);
    expect((caught as Error).message).toMatch(/big\.md.*maxBytes/);
  });
});

describe('loadSalons', () => {
  it('reads folders recursively in a stable date order', async () => {
    const { salons, warnings } = await loadSalons([examplesDir]);
    expect(warnings).toEqual([]);
    expect(salons.length).toBeGreaterThanOrEqual(4);
    const dates = salons.map((s) => s.date ?? '');
    expect(dates).toEqual([...dates].sort());
    const again = await loadSalons([examplesDir]);
    expect(again.salons.map((s) => s.id)).toEqual(salons.map((s) => s.id));
  });

  it('collapses identical duplicates with a warning and rejects conflicting ones naming both files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'salon-load-'));
    const doc =
      'These are the takeaways from the conversation: 2024-01-01 Ai salon - dup.m4a\n# Insights\n- Same.\n';
    await writeFile(path.join(dir, 'a.md'), doc);
    await writeFile(path.join(dir, 'b.md'), doc.replace(/\n/g, '\r\n'));
    const same = await loadSalons([dir]);
    expect(same.salons).toHaveLength(1);
    expect(same.warnings).toHaveLength(1);
    expect(same.warnings[0]?.message).toContain(path.join(dir, 'a.md'));

    await writeFile(path.join(dir, 'c.md'), doc.replace('Same.', 'Different.'));
    const error = await loadSalons([dir]).catch((e: unknown) => e);
    expect(isSalonLensError(error, 'DUPLICATE_SALON')).toBe(true);
    expect((error as Error).message).toContain(path.join(dir, 'a.md'));
    expect((error as Error).message).toContain(path.join(dir, 'c.md'));
  });

  it('skipInvalid leaves out invalid documents, listing each with its reason; progress counts documents', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'salon-skip-'));
    const doc =
      'These are the takeaways from the conversation: 2024-01-01 Ai salon - ok.m4a\n# Insights\n- Fine.\n';
    await writeFile(path.join(dir, 'good.md'), doc);
    await writeFile(path.join(dir, 'notes.txt'), 'call Sam about the venue\n');
    await writeFile(path.join(dir, 'big.md'), `${doc}- ${'x'.repeat(200)}.\n`);

    const strict = await loadSalons([dir], { maxBytes: 150 }).catch((e: unknown) => e);
    expect(isSalonLensError(strict, 'INPUT_TOO_LARGE')).toBe(true);

    const events: Array<[number, number]> = [];
    const lenient = await loadSalons([dir], {
      maxBytes: 150,
      skipInvalid: true,
      onProgress: (e) => events.push([e.done, e.total]),
    });
    expect(lenient.salons.map((s) => s.source)).toEqual([path.join(dir, 'good.md')]);
    expect(lenient.skipped.map((s) => path.basename(s.file))).toEqual(['big.md', 'notes.txt']);
    expect(lenient.skipped[1]?.message).toMatch(/notes\.txt:1: expected a section heading/);
    expect(events).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('names a missing path', async () => {
    const error = await loadSalons(['/definitely/not/here']).catch((e: unknown) => e);
    expect(isSalonLensError(error, 'INPUT_ERROR')).toBe(true);
    expect((error as Error).message).toContain('/definitely/not/here');
  });
});
