/**
 * The CLI's human-output helpers on their own: progress lines off a terminal
 * (with a controlled clock), tables fitted to a width, terminal-safe text.
 */
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from '../src/cli/progress.js';
import { FALLBACK_WIDTH, fitLine, formatTable, outputWidth } from '../src/cli/table.js';
import { terminalSafe } from '../src/cli/terminal-text.js';

function fakeStream(isTTY: boolean) {
  const lines: string[] = [];
  const stream = {
    isTTY,
    write: (s: string) => {
      lines.push(s);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

describe('progress lines when stderr is not a terminal', () => {
  it('prints a line per stage start, every interval, and at each stage end, with the rate', () => {
    const { stream, lines } = fakeStream(false);
    let t = 0;
    const progress = createProgress('index', { stream, now: () => t, intervalSeconds: 5 });
    for (let done = 0; done <= 7; done++) {
      progress.update({ stage: 'parse', done, total: 7 });
      t += 100;
    }
    for (let done = 0; done <= 400; done += 10) {
      progress.update({ stage: 'embed', done, total: 400 });
      t += 500; // 20 items/s
    }
    progress.stop();
    expect(lines).toEqual([
      'salon-lens index: parse 0/7 documents (0.0 s)\n',
      'salon-lens index: parse 7/7 documents, 10/s (0.7 s)\n',
      'salon-lens index: embed 0/400 items (0.8 s)\n',
      'salon-lens index: embed 100/400 items, 20/s (5.8 s)\n',
      'salon-lens index: embed 200/400 items, 20/s (10.8 s)\n',
      'salon-lens index: embed 300/400 items, 20/s (15.8 s)\n',
      'salon-lens index: embed 400/400 items, 20/s (20.8 s)\n',
    ]);
  });

  it('closes a stage whose last count was not printed, keeps slow rates, and is silent with quiet', () => {
    const { stream, lines } = fakeStream(false);
    let t = 0;
    const progress = createProgress('report', { stream, now: () => t });
    progress.update({ stage: 'embed', done: 0, total: 10 });
    t = 1000;
    progress.update({ stage: 'embed', done: 4, total: 10 });
    progress.update({ stage: 'themes', done: 0, total: 1 });
    t = 31_000;
    progress.update({ stage: 'themes', done: 1, total: 1 });
    expect(lines).toEqual([
      'salon-lens report: embed 0/10 items (0.0 s)\n',
      'salon-lens report: embed 4/10 items, 4.0/s (1.0 s)\n',
      'salon-lens report: themes 0/1 (1.0 s)\n',
      // A slow stage keeps its rate rather than "0.0/s".
      'salon-lens report: themes 1/1, 0.03/s (31.0 s)\n',
    ]);
    const quiet = fakeStream(false);
    const silent = createProgress('report', { stream: quiet.stream, quiet: true });
    silent.update({ stage: 'embed', done: 1, total: 2 });
    silent.stop();
    expect(quiet.lines).toEqual([]);
  });
});

describe('progress bar on a terminal', () => {
  it('draws one bar per stage with its count, rate and time left', () => {
    const { stream, lines } = fakeStream(true);
    Object.assign(stream, {
      columns: 100,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => stream,
      removeListener: () => stream,
    });
    let t = 0;
    const progress = createProgress('index', { stream, now: () => t });
    for (let done = 0; done <= 7; done++) {
      progress.update({ stage: 'parse', done, total: 7 });
      t += 100;
    }
    for (let done = 0; done <= 100; done += 10) {
      progress.update({ stage: 'embed', done, total: 400 });
      t += 500; // 20 items/s: 300 items left take 15 s
    }
    progress.update({ stage: 'cluster', phase: 'select-k', done: 0, total: 6 });
    progress.stop(); // draws the last state
    const frames = lines.filter((l) => l.startsWith('index '));
    // Nothing done yet: no rate, no time left (rather than a made-up "0s").
    expect(frames[0]).toBe(`index parse  [${'░'.repeat(40)}] 0/7 documents`);
    // One bar per stage: parsing ends full, with its rate, before the embed bar starts
    // from its own count; the embed bar's last frame has the rate and the time left.
    expect(frames).toContain(`index parse  [${'█'.repeat(40)}] 7/7 documents, 10/s`);
    expect(frames).toContain(
      `index embed  [${'█'.repeat(10)}${'░'.repeat(30)}] 100/400 items, 20/s · 15 s left`,
    );
    expect(frames.at(-1)).toBe(`index cluster select-k [${'░'.repeat(40)}] 0/6`);
    expect(frames.join('').includes('ETA')).toBe(false);
  });

  it('says time left in seconds, minutes or hours', () => {
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
  });
});

describe('tables', () => {
  const rows = [
    ['1', 'a-salon', 'x'.repeat(200)],
    ['2', 'another-salon', 'short text'],
  ];
  const columns = [
    { header: '#', align: 'right' as const },
    { header: 'salon' },
    { header: 'text', flex: true },
  ];

  it('fits the width by cutting flexible columns only, and keeps everything with wide', () => {
    const fitted = formatTable(columns, rows, { width: 60 }).split('\n');
    expect(Math.max(...fitted.map((l) => l.length))).toBe(60);
    expect(fitted[2]).toMatch(/^1 {2}a-salon {8}x+…$/);
    expect(fitted[3]).toBe('2  another-salon  short text');
    const wide = formatTable(columns, rows, { wide: true, width: 60 }).split('\n');
    expect(wide[2]).toContain('x'.repeat(200));
  });

  it('measures display width (CJK takes two cells) and escapes control characters', () => {
    const table = formatTable(columns, [['1', 's', `数据隐私\u001b[2J${'字'.repeat(40)}`]], {
      width: 40,
    });
    const last = table.split('\n')[2] as string;
    expect(last).toContain('数据隐私\\u001b[2J');
    expect(last.endsWith('…')).toBe(true);
    // 1 + 2 + 1 + 2 = 6 columns before the text; the text fills the rest in cells.
    const text = last.slice(6);
    const cells = [...text].reduce((n, ch) => n + (/[\u3000-\u9fff]/.test(ch) ? 2 : 1), 0);
    expect(cells).toBeLessThanOrEqual(40 - 6);
  });

  it('falls back to 100 columns when stdout is not a terminal', () => {
    if (process.stdout.isTTY) return;
    expect(outputWidth()).toBe(FALLBACK_WIDTH);
    expect(fitLine('y'.repeat(300))).toHaveLength(FALLBACK_WIDTH);
  });
});

describe('terminalSafe', () => {
  it('escapes C0, DEL, C1, bidi controls and line separators; leaves other text alone', () => {
    expect(terminalSafe('a\u001b]0;x\u0007b')).toBe('a\\u001b]0;x\\u0007b');
    expect(terminalSafe('\u202eevil\u202c \u2066iso\u2069')).toBe(
      '\\u202eevil\\u202c \\u2066iso\\u2069',
    );
    expect(terminalSafe('tab\there\nnew\u007f\u0085\u009b\u2028')).toBe(
      'tab\\u0009here\\u000anew\\u007f\\u0085\\u009b\\u2028',
    );
    expect(terminalSafe('Ünïcödé — 数据 🙂 \u200b')).toBe('Ünïcödé — 数据 🙂 \u200b');
  });
});
