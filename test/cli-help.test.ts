/**
 * The help tells the truth: every default a flag's help states is the default of the
 * library option behind it (the schemas), and the short help's example works for
 * someone who installed the package (no repository files).
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ReportOptionsSchema } from '../src/api/options.js';
import { buildProgram, shortHelp } from '../src/cli/program.js';
import { ClusterOptionsSchema } from '../src/cluster/index.js';
import { SearchOptionsSchema, SimilarQuestionsOptionsSchema } from '../src/index/options.js';

const program = buildProgram('0.0.0');

/** One flag's help line, unwrapped. */
function helpLine(command: string, flag: string): string {
  const c = program.commands.find((x) => x.name() === command) as Command;
  c.configureHelp({ helpWidth: 10_000 });
  const line = c
    .helpInformation()
    .split('\n')
    .find((l) => l.trimStart().split(/[ ,]/).includes(flag));
  if (!line) throw new Error(`${command} --help has no ${flag}`);
  return line;
}

/**
 * The default a help line states: `(default: 10)`, `(default 8)`, `(default: ["md"])`,
 * or the choice written just before `(default…`, as in `csls (default: discounts …)`.
 */
function statedDefault(line: string): unknown {
  const inParens = /\(default:? ("[^"]*"|\[[^\]]*\]|[\w.-]+)\)/.exec(line);
  if (inParens)
    return JSON.parse(
      /^[\d"[]/.test(inParens[1] as string) ? (inParens[1] as string) : `"${inParens[1]}"`,
    );
  const before = /(\w+) \(default/.exec(line);
  if (!before) throw new Error(`no default stated in: ${line}`);
  return before[1];
}

describe('--help defaults match the library', () => {
  const search = SearchOptionsSchema.parse({});
  const similar = SimilarQuestionsOptionsSchema.parse({});
  const cluster = ClusterOptionsSchema.parse({});
  const report = ReportOptionsSchema.parse({});
  it.each([
    ['search', '--k', search.k],
    ['search', '--mode', search.mode],
    ['search', '--scoring', search.scoring],
    ['similar', '--scoring', similar.scoring],
    ['similar', '--max-size', similar.maxSize],
    ['similar', '--k', similar.k],
    ['similar', '--linkage', similar.linkage],
    ['themes', '--k', cluster.k],
    ['report', '--k', cluster.k],
    ['report', '--format', report.formats],
  ])('%s %s', (command, flag, expected) => {
    expect(statedDefault(helpLine(command, flag))).toEqual(expected);
  });

  it("search --mode says vector scores follow --scoring (csls by default), not 'cosine'", () => {
    expect(search.scoring).toBe('csls');
    expect(helpLine('search', '--mode')).not.toMatch(/vector \(meaning, score = cosine\)/);
  });
});

describe('the short help', () => {
  it('shows an example that needs no repository files (examples/ is not in the package)', () => {
    const text = shortHelp(program, '0.0.0');
    expect(text).toContain('salon-lens report <folder>');
    expect(text).not.toMatch(/salon-lens report examples\//);
  });
});
