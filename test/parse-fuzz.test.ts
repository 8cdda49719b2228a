/**
 * Property tests of the parser on generated documents (fast-check, seeded).
 * `npm run fuzz` runs the same properties with many more cases (FUZZ_RUNS).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SalonLensError, SalonParseError } from '../src/errors.js';
import { parseSalon, renderSalon, type Salon } from '../src/parse/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const settings = { numRuns: RUNS, seed: SEED };

const word = fc.oneof(
  fc.constantFrom(
    'AI',
    'open',
    'model',
    'privacy',
    'copyright',
    'Whether',
    'data',
    'rights',
    'Let',
    'me',
    'know',
  ),
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.constantFrom(
    '\u200b',
    '\u200f',
    'مرحبا',
    '“quoted”',
    'en–dash',
    '<script>',
    '[x](http://y)',
    '\t',
  ),
);
const words = fc.array(word, { minLength: 1, maxLength: 12 }).map((w) => w.join(' '));
const line = fc.oneof(
  fc.constantFrom(
    '# Insights',
    '## Questions',
    '# Disagreements',
    '# Key insights',
    '## Open questions',
    '# Notes',
    '',
  ),
  words.map((w) => `- ${w}`),
  words.map((w) => `* ${w}`),
  words.map((w) => `• ${w}`),
  words.map((w) => `1. ${w}`),
  words.map((w) => `  ${w}`),
  words.map((w) => `- [Disagreement 2] ${w}.`),
  words,
  fc.constantFrom(
    'Let me know if you would like me to elaborate.',
    '- Draw connections between ideas',
    '\u0007\u0001',
  ),
  fc.string({ maxLength: 40 }),
);
const document = fc
  .tuple(fc.array(line, { maxLength: 40 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
  .map(([lines, eol, bom]) => `${bom ? '\ufeff' : ''}${lines.join(eol)}`);

function parseOrParseError(text: string): Salon | SalonParseError {
  try {
    return parseSalon(text, { source: 'fuzz.md' });
  } catch (error) {
    if (error instanceof SalonParseError) return error;
    throw error;
  }
}

describe('parser properties (fast-check)', () => {
  it('never throws anything but SalonParseError, and items are non-empty text of the input', () => {
    fc.assert(
      fc.property(document, (text) => {
        const result = parseOrParseError(text);
        if (result instanceof SalonParseError) return;
        const flat = text.replace(/\s+/gu, ' ');
        for (const item of result.items) {
          expect(item.text.trim().length).toBeGreaterThan(0);
          expect(flat).toContain(item.text);
        }
      }),
      settings,
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(document, (text) => {
        const a = parseOrParseError(text);
        const b = parseOrParseError(text);
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      }),
      { ...settings, numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it('round-trips: parse(render(salon)) gives the same sections and texts', () => {
    const sentence = fc
      .array(fc.stringMatching(/^[A-Za-z][a-z]{0,9}$/), { minLength: 2, maxLength: 10 })
      .map((w) => `${w.join(' ')}.`);
    const question = sentence.map((s) => `${s.slice(0, -1)}?`);
    const salon = fc.record({
      date: fc.constantFrom('2024-01-02', '2025-12-31'),
      title: fc.stringMatching(/^[a-z]{3,10}( [a-z]{3,10})?$/),
      insights: fc.array(sentence, { maxLength: 6 }),
      questions: fc.array(question, { maxLength: 6 }),
      disagreements: fc.array(sentence, { maxLength: 6 }),
    });
    fc.assert(
      fc.property(salon, (s) => {
        const items = [
          ...s.insights.map((text) => ({ section: 'insight' as const, text })),
          ...s.questions.map((text) => ({ section: 'question' as const, text })),
          ...s.disagreements.map((text) => ({ section: 'disagreement' as const, text })),
        ];
        if (items.length === 0) return;
        const rendered = renderSalon({
          date: s.date,
          title: s.title,
          items: items as Salon['items'],
        });
        const parsed = parseSalon(rendered, { source: 'rt.md' });
        expect(parsed.date).toBe(s.date);
        expect(parsed.title).toBe(s.title);
        expect(parsed.items.map((i) => [i.section, i.text])).toEqual(
          items.map((i) => [i.section, i.text]),
        );
      }),
      { ...settings, numRuns: Math.ceil(RUNS / 4) },
    );
  });
});

describe('hostile content', () => {
  it('keeps HTML, markdown links, zero-width and RTL characters as plain item text', () => {
    const text = [
      '# Insights',
      '- <script>alert(1)</script> is just text here.',
      '- A [link](javascript:alert(1)) stays as written.',
      '- Zero\u200bwidth and \u202eRTL override\u202c survive.',
      '- مرحبا بالعالم، هذه فكرة.',
    ].join('\n');
    const salon = parseSalon(text, { source: 'hostile.md' });
    expect(salon.items.map((i) => i.text)).toEqual([
      '<script>alert(1)</script> is just text here.',
      'A [link](javascript:alert(1)) stays as written.',
      'Zero\u200bwidth and \u202eRTL override\u202c survive.',
      'مرحبا بالعالم، هذه فكرة.',
    ]);
  });

  it('parses a 1 MB single-line item', () => {
    const long = `${'word '.repeat(200_000)}end.`;
    const salon = parseSalon(`# Insights\n- ${long}\n`, { source: 'long.md' });
    expect(salon.items).toHaveLength(1);
    expect(salon.items[0]?.text.length).toBe(long.length);
  });

  it('parses a 100k-bullet document', () => {
    const bullets = Array.from(
      { length: 100_000 },
      (_, i) => `- Insight number ${i} is here.`,
    ).join('\n');
    const salon = parseSalon(`# Insights\n${bullets}\n`, { source: 'many.md' });
    expect(salon.items).toHaveLength(100_000);
    expect(salon.items[99_999]?.id).toBe('many#i100000');
  });

  it('refuses a document over the configured size limit with a clear, bounded error', () => {
    const text = `# Insights\n- ${'x'.repeat(2_000_000)}.\n`;
    expect(() => parseSalon(text, { source: 'huge.md', maxBytes: 1_000_000 })).toThrowError(
      SalonLensError,
    );
    expect(() => parseSalon(text, { source: 'huge.md', maxBytes: 1_000_000 })).toThrowError(
      /huge\.md: document is \d+ bytes, over the limit of 1000000 bytes.*--max-bytes/,
    );
  });
});
