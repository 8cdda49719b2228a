/**
 * A salon archive end to end through the built CLI (`dist/cli.js`): generates a
 * 300-salon weekly archive (bench/lib/archive-corpus.ts: 40 items per salon, one
 * question planted in 60 salons), runs `index` and `report` on the same documents
 * (fresh stores, no embedding cache, so both embed everything), and prints the report's
 * wall time and time per stage (from its progress lines), the `index` time, the HTML's
 * size and height in Chromium at 1280 px and its sideways overflow at 390 px, and the
 * planted question's salon count in report.json. Writes bench/results/archive.json.
 *
 *   npm run build && npm run bench:archive
 *   npm run bench:archive -- --salons 60 --name archive-60
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { makeArchive, writeArchive } from './lib/archive-corpus.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';
import { markdownTable } from './lib/table.js';

const { values: args } = parseArgs({
  options: {
    salons: { type: 'string', default: '300' },
    items: { type: 'string', default: '40' },
    name: { type: 'string', default: 'archive' },
    keep: { type: 'boolean', default: false },
    /** Another build to measure (e.g. main's dist copied aside), default dist/cli.js. */
    cli: { type: 'string' },
  },
});
const CLI = path.resolve(args.cli ?? path.join(REPO_ROOT, 'dist/cli.js'));

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Each progress stage's first and last line, ms after the start. */
  stages: Map<string, { first: number; last: number }>;
  peakRssMiB?: number;
  /** User + system CPU seconds (the box is shared: wall time depends on the load). */
  cpuSeconds?: number;
}

/** Runs the CLI with /usr/bin/time when present (peak RSS), stamping progress lines as they arrive. */
function run(argv: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timeBin = existsSync('/usr/bin/time');
    const [cmd, cmdArgs] = timeBin
      ? ['/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M CPU_S=%U %S', process.execPath, CLI, ...argv]]
      : [process.execPath, [CLI, ...argv]];
    const child = spawn(cmd, cmdArgs as string[], {
      cwd: REPO_ROOT,
      env: { ...process.env, SALON_LENS_EMBED_CACHE: 'off' },
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const stages = new Map<string, { first: number; last: number }>();
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const t = performance.now() - t0;
      for (const line of lines) {
        const stage = /^salon-lens \w+: (\w+) \d+\/\d+/.exec(line)?.[1];
        if (!stage) continue;
        const s = stages.get(stage) ?? { first: t, last: t };
        s.last = t;
        stages.set(stage, s);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = /PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1];
      const cpu = /CPU_S=([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({
        ms: performance.now() - t0,
        code,
        stdout,
        stderr,
        stages,
        ...(kb ? { peakRssMiB: Number(kb) / 1024 } : {}),
        ...(cpu ? { cpuSeconds: Number(cpu[1]) + Number(cpu[2]) } : {}),
      });
    });
  });
}

function check(r: Timed, what: string): void {
  if (r.code !== 0)
    throw new Error(
      `${what} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`,
    );
}

/** Stage durations: from a stage's first line to the next stage's first line (the last to exit). */
function stageTimes(r: Timed): Record<string, number> {
  const ordered = [...r.stages.entries()].sort((a, b) => a[1].first - b[1].first);
  const out: Record<string, number> = {};
  ordered.forEach(([name, s], i) => {
    const end = ordered[i + 1]?.[1].first ?? r.ms;
    out[name] = Math.round(end - s.first);
  });
  return out;
}

interface Browser {
  heightAt1280: number;
  overflowAt390: number;
  screenshot: string;
}

async function measureHtml(file: string, work: string): Promise<Browser | undefined> {
  const exe = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
  if (!exe) return undefined;
  const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: exe,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const heightAt1280 = await page.evaluate<number>('document.documentElement.scrollHeight');
    const screenshot = path.join(REPO_ROOT, 'test', 'artifacts', `${args.name}.png`);
    await page.screenshot({ path: screenshot, fullPage: heightAt1280 < 40_000 });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflowAt390 = await page.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    await page.screenshot({
      path: screenshot.replace(/\.png$/, '-phone.png'),
      fullPage: false,
    });
    return { heightAt1280, overflowAt390, screenshot: path.relative(REPO_ROOT, screenshot) };
  } finally {
    await context.close();
  }
}

interface Entry {
  questions: { item: { text: string } }[];
  salons: unknown[];
  wordings?: { text: string; salonCount: number }[];
}

/**
 * The recurring-question entries holding the planted question: how many, the largest
 * one's salons (it may hold other wordings too), and the planted wording's own salons.
 */
function plantedCount(
  report: unknown,
  planted: string,
): { salons: number; wordingSalons: number; entries: number } {
  const groups = (report as { recurringQuestions?: Entry[] }).recurringQuestions ?? [];
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z]+/g, ' ')
      .trim();
  const holding = groups.filter((g) =>
    g.questions.some((q) => norm(q.item.text) === norm(planted)),
  );
  const wording = holding
    .flatMap((g) => g.wordings ?? [])
    .filter((w) => norm(w.text) === norm(planted));
  return {
    salons: Math.max(0, ...holding.map((g) => g.salons.length)),
    wordingSalons: Math.max(0, ...wording.map((w) => w.salonCount)),
    entries: holding.length,
  };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const archive = makeArchive({ salons: Number(args.salons), itemsPerSalon: Number(args.items) });
  const work = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-archive-'));
  const docs = path.join(work, 'salons');
  await writeArchive(archive, docs);
  console.log(
    `archive: ${archive.salons.length} salons, ${archive.items} items, ${archive.distinctSentences} distinct sentences, planted in ${archive.plantedIn.length} salons (${work})`,
  );
  console.log(describeMachine(machine));
  try {
    const index = await run(['index', docs, '--store', path.join(work, 'index-store')]);
    check(index, 'index');
    console.log(`index: ${(index.ms / 1000).toFixed(1)} s`);
    const out = path.join(work, 'report');
    const report = await run([
      'report',
      docs,
      '--store',
      path.join(work, 'report-store'),
      '--out',
      out,
    ]);
    check(report, 'report');
    console.log(`report: ${(report.ms / 1000).toFixed(1)} s`);
    const html = path.join(out, 'report.html');
    const htmlBytes = (await stat(html)).size;
    const mdBytes = (await stat(path.join(out, 'report.md'))).size;
    const jsonBytes = (await stat(path.join(out, 'report.json'))).size;
    const planted = plantedCount(
      JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')),
      archive.planted,
    );
    const browser = await measureHtml(html, work);
    const stages = stageTimes(report);
    const row = {
      salons: archive.salons.length,
      items: archive.items,
      distinctSentences: archive.distinctSentences,
      plantedSalons: archive.plantedIn.length,
      indexSeconds: index.ms / 1000,
      reportSeconds: report.ms / 1000,
      reportOverIndex: report.ms / index.ms,
      indexCpuSeconds: index.cpuSeconds,
      reportCpuSeconds: report.cpuSeconds,
      reportOverIndexCpu:
        report.cpuSeconds && index.cpuSeconds ? report.cpuSeconds / index.cpuSeconds : undefined,
      reportStagesMs: stages,
      // Everything but clustering (themes is another part of the work): the part of the
      // report this bench holds to about the index time.
      reportWithoutThemesSeconds: (report.ms - (stages.themes ?? 0)) / 1000,
      indexPeakRssMiB: index.peakRssMiB,
      reportPeakRssMiB: report.peakRssMiB,
      htmlBytes,
      markdownBytes: mdBytes,
      jsonBytes,
      ...(browser ?? {}),
      plantedQuestion: {
        text: archive.planted,
        entries: planted.entries,
        entrySalons: planted.salons,
        wordingSalons: planted.wordingSalons,
      },
    };
    console.log(
      markdownTable(
        ['measure', 'value'],
        [
          ['index (s)', row.indexSeconds.toFixed(1)],
          ['report (s)', row.reportSeconds.toFixed(1)],
          ['report / index', row.reportOverIndex.toFixed(2)],
          ['report without themes (s)', row.reportWithoutThemesSeconds.toFixed(1)],
          ['index CPU (s)', String(row.indexCpuSeconds?.toFixed(1))],
          ['report CPU (s)', String(row.reportCpuSeconds?.toFixed(1))],
          ['report / index (CPU)', String(row.reportOverIndexCpu?.toFixed(2))],
          ...Object.entries(stages).map(([k, v]) => [`  stage ${k} (s)`, (v / 1000).toFixed(1)]),
          ['report peak RSS (MiB)', String(Math.round(row.reportPeakRssMiB ?? 0))],
          ['report.html (MB)', (htmlBytes / 1e6).toFixed(2)],
          ['report.md (kB)', (mdBytes / 1e3).toFixed(0)],
          ['report.json (MB)', (jsonBytes / 1e6).toFixed(2)],
          ['HTML height at 1280 px', String(browser?.heightAt1280 ?? 'no chromium')],
          ['sideways overflow at 390 px', String(browser?.overflowAt390 ?? 'no chromium')],
          [
            'planted question',
            `${planted.entries} entries; the largest asked in ${planted.salons} salons, the planted wording in ${planted.wordingSalons} of ${archive.plantedIn.length}`,
          ],
        ],
        ['l', 'r'],
      ),
    );
    const commit = await gitHead();
    const file = await writeResults(args.name, {
      machine,
      note: 'shared 2-core box, loaded by other sessions; fresh stores, embedding cache off',
      commit,
      date: new Date().toISOString(),
      ...row,
    });
    console.log(`wrote ${file}`);
  } finally {
    if (!args.keep) await rm(work, { recursive: true, force: true });
  }
}

async function gitHead(): Promise<string> {
  const r = await new Promise<string>((resolve) => {
    const child = spawn('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', () => resolve(out.trim()));
  });
  return r;
}

await main();
