/**
 * The HTML report in a real browser (Debian's chromium via playwright-core):
 * no console errors, no network, one map mark per item, injected markup shown
 * as text and never run, no horizontal overflow on a phone; screenshots go to
 * test/artifacts/ (git-ignored). Skips with a message when no Chromium exists.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SalonLens } from '../src/api/salon-lens.js';
import { createEmbedder, openEmbeddingCache, withEmbeddingCache } from '../src/embed/index.js';
import { REPORT_CSP, type ReportData, renderHtml } from '../src/report/index.js';
import { makeReportData } from './helpers/report-fixture.js';
import { buildExampleReport, FIXED_BUILT_AT } from './helpers/report-pipeline.js';
import { sharedPath } from './helpers/shared-data.js';

/** The shared corpus's report through the public API (vectors cached across runs), or undefined. */
async function corpusReport(workDir: string): Promise<ReportData | undefined> {
  const corpus = sharedPath('corpus');
  if (!corpus) return undefined;
  const cache = await openEmbeddingCache(path.join(tmpdir(), 'salon-lens-report-browser-cache'));
  const embedder = withEmbeddingCache(await createEmbedder(), cache);
  const lens = await SalonLens.create(path.join(workDir, 'corpus-store'), { embedder });
  try {
    await lens.add([corpus]);
    return (await lens.report({ formats: ['html'], builtAt: FIXED_BUILT_AT })).data;
  } finally {
    await lens.close();
    await embedder.dispose();
  }
}

/** Page width beyond the viewport, in CSS px (a string expression: the test tsconfig has no DOM lib). */
const OVERFLOW = 'document.documentElement.scrollWidth - window.innerWidth';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
  (p): p is string => !!p && existsSync(p),
);
const ARTIFACTS = path.resolve(import.meta.dirname, 'artifacts');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

if (!CHROMIUM) {
  console.warn(
    'report-browser: no Chromium found (/usr/bin/chromium or $CHROMIUM_PATH); skipping. Install with: apt-get install -y chromium',
  );
}

interface Visit {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

describe.skipIf(!CHROMIUM)('HTML report in Chromium', () => {
  let context: BrowserContext;
  let workDir: string;
  let example: ReportData;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'salon-lens-report-browser-'));
    // A fresh profile per run; playwright wants it as the persistent-context dir, not a flag.
    context = await chromium.launchPersistentContext(path.join(workDir, 'profile'), {
      executablePath: CHROMIUM,
      args: FLAGS,
    });
    const built = await buildExampleReport({ builtAt: FIXED_BUILT_AT });
    for (const note of built.notes) console.warn(`report-browser: ${note}`);
    example = built.data;
  });

  afterAll(async () => {
    await context?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function open(
    markup: string,
    name: string,
    viewport = { width: 1280, height: 900 },
  ): Promise<Visit> {
    const file = path.join(workDir, `${name}.html`);
    await writeFile(file, markup);
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    const visit: Visit = { page, errors: [], requests: [], dialogs: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        visit.errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => visit.errors.push(`pageerror: ${e.message}`));
    page.on('dialog', async (d) => {
      visit.dialogs.push(d.message());
      await d.dismiss();
    });
    page.on('request', (r) => {
      if (r.url() !== `file://${file}`) visit.requests.push(r.url());
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return visit;
  }

  it('renders the examples report cleanly, with heatmap, map and a text-only <script> item', async () => {
    const { page, errors, requests, dialogs } = await open(renderHtml(example), 'example');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);

    // Heatmap: one row per theme, one cell per salon.
    const rows = page.locator('table.heatmap tbody tr');
    expect(await rows.count()).toBe(example.themes.themes.length);
    expect(await page.locator('table.heatmap tbody tr').first().locator('td.cell').count()).toBe(
      example.salons.length,
    );

    // Map: exactly one mark per item, each with a hover title.
    const ids = await page
      .locator('svg.plot [data-item-id]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-item-id')));
    expect(ids.sort()).toEqual(example.items.map((i) => i.id).sort());
    expect(await page.locator('svg.plot [data-item-id] > title').count()).toBe(
      example.items.length,
    );
    const box = await page.locator('svg.plot').boundingBox();
    expect(box?.width).toBeGreaterThan(600);

    // Injected markup in an example item shows as text and adds no element.
    const hostile = example.items.find((i) => i.text.includes('<script>'));
    expect(hostile, 'an example item contains <script>').toBeDefined();
    const shown = page.locator('span.text', { hasText: '<script>' }).first();
    expect(await shown.textContent()).toBe(hostile?.text);
    expect(await page.locator(`[data-item-id="${hostile?.id}"] > title`).textContent()).toContain(
      hostile?.text,
    );
    expect(await page.evaluate('document.scripts.length')).toBe(0);

    // Headings: one h1, h2 sections, no level skipped.
    const levels = await page
      .locator('h1, h2, h3, h4, h5, h6')
      .evaluateAll((els) => els.map((el) => Number(el.tagName.slice(1))));
    expect(levels.filter((l) => l === 1)).toHaveLength(1);
    expect(levels[0]).toBe(1);
    levels.forEach((level, i) => {
      if (i > 0) expect(level - (levels[i - 1] ?? 1)).toBeLessThanOrEqual(1);
    });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('svg.plot').getAttribute('aria-labelledby')).toBe(
      'map-title map-desc',
    );

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.close();
  });

  it('fits a phone screen without sideways scrolling of the page', async () => {
    const { page, errors } = await open(renderHtml(example), 'example-phone', {
      width: 390,
      height: 844,
    });
    expect(errors).toEqual([]);
    expect(await page.evaluate<number>(OVERFLOW)).toBeLessThanOrEqual(0);
    expect((await page.locator('svg.plot').boundingBox())?.width).toBeGreaterThan(300);
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-phone.png'), fullPage: true });
    await page.close();
  });

  it('opens with the summary box, recurring questions before the theme cards, cards collapsed', async () => {
    const { page, errors } = await open(renderHtml(example), 'example-glance');
    expect(errors).toEqual([]);
    const order = await page
      .locator('main > section')
      .evaluateAll((els) => els.map((el) => el.getAttribute('id')));
    expect(order[0]).toBe('glance');
    expect(order.indexOf('recurring')).toBeLessThan(order.indexOf('themes'));
    expect(await page.locator('#glance h3').count()).toBe(4);
    // Every recurring theme listed in the box is in 3+ salons and links to its card.
    for (const link of await page
      .locator('#glance .glance-grid > div')
      .first()
      .locator('a')
      .all()) {
      const id = ((await link.getAttribute('href')) ?? '').replace('#theme-', '');
      expect(example.themes.themes.find((t) => t.id === id)?.salons.length).toBeGreaterThanOrEqual(
        3,
      );
    }
    const cards = page.locator('details.theme');
    expect(await cards.count()).toBe(example.themes.themes.length);
    expect(await page.locator('details.theme[open]').count()).toBe(0);
    // A collapsed card hides its items but still shows its title and size...
    const first = cards.first();
    expect(await first.locator(':scope > summary').isVisible()).toBe(true);
    expect(await first.locator('ul.chips').first().isVisible()).toBe(false);
    // ...and one click (no script needed) opens it.
    await first.locator(':scope > summary').click();
    expect(await first.locator('ul.chips').first().isVisible()).toBe(true);
    await page.close();
  });

  it('keeps the shared corpus report short and readable on a phone', async (ctx) => {
    const data = await corpusReport(workDir);
    if (!data) return ctx.skip();
    const markup = renderHtml(data);
    const desktop = await open(markup, 'corpus');
    expect(desktop.errors).toEqual([]);
    const height = await desktop.page.evaluate<number>('document.documentElement.scrollHeight');
    console.log(`report-browser: corpus report is ${height} px tall at 1280 px`);
    expect(height).toBeLessThan(15_000);
    // Map labels: only the largest themes carry a number, so 20-30 themes stay legible.
    expect(await desktop.page.locator('svg.plot .labels text').count()).toBeLessThanOrEqual(10);
    await desktop.page.screenshot({ path: path.join(ARTIFACTS, 'corpus.png'), fullPage: true });
    await desktop.page.close();
    const phone = await open(markup, 'corpus-phone', { width: 390, height: 844 });
    expect(await phone.page.evaluate<number>(OVERFLOW)).toBeLessThanOrEqual(0);
    await phone.page.close();
  });

  it('a 5,000-character word in titles, keywords and items scrolls no page sideways (390 and 1280 px)', async () => {
    const word = 'x'.repeat(5000);
    // A copy: the fixture's items are shared with the other tests.
    const data = structuredClone(makeReportData());
    const [theme] = data.themes.themes;
    if (!theme) throw new Error('fixture has a theme');
    theme.label = `${word} · style`;
    theme.keywords = [word, ...theme.keywords];
    data.title = `Report ${word}`;
    const [salon] = data.salons;
    if (salon) salon.title = `Salon ${word}`;
    const [item] = data.items;
    if (item) item.text = `Insight ${word} end`;
    for (const r of theme.representatives) r.text = `Insight ${word} end`;
    const markup = renderHtml(data);
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1280, height: 900 },
    ]) {
      const { page, errors } = await open(markup, `long-word-${viewport.width}`, viewport);
      expect(errors).toEqual([]);
      // Titles, labels and keywords show the word cut short with an ellipsis; items wrap.
      expect(await page.locator('h1').textContent()).toBe(`Report ${'x'.repeat(39)}…`);
      expect(await page.locator('ul.chips[aria-label="Keywords"] li').first().textContent()).toBe(
        `${'x'.repeat(39)}…`,
      );
      expect(await page.locator('span.text', { hasText: word }).count()).toBeGreaterThan(0);
      // Open every theme card: their contents must wrap too.
      for (const summary of await page.locator('details.theme > summary').all())
        await summary.click();
      expect(await page.evaluate<number>(OVERFLOW), `at ${viewport.width} px`).toBeLessThanOrEqual(
        0,
      );
      await page.close();
    }
  });

  it('never runs injected markup, even with the CSP removed (escaping alone holds)', async () => {
    const markup = renderHtml(makeReportData());
    const withoutCsp = markup.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
    expect(withoutCsp).not.toContain(REPORT_CSP);
    const { page, errors, requests, dialogs } = await open(withoutCsp, 'hostile');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.evaluate(`document.querySelectorAll('script, img').length`)).toBe(0);
    expect(await page.locator('b', { hasText: 'tags' }).count()).toBe(0);
    expect(await page.title()).toBe('Pipes | "quotes" & <b>tags</b>');
    expect(await page.locator('body').textContent()).toContain(
      '<script>window.__pwned = 1; alert(1)</script>',
    );
    await page.close();
  });
});
