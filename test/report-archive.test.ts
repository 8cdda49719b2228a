/**
 * An archive-sized report (more salons than GROUP_ABOVE) renders in periods and keeps
 * its lists short: the salon table and the heatmap have a row/column per quarter, a
 * theme card shows its first questions and disagreements and says how many more are
 * in report.json, and so do the recurring questions, in HTML and Markdown alike. With
 * 150 themes only the THEMES_SHOWN most widely recurring get a card and a heatmap row;
 * the rest are one compact table, and report.json keeps them all.
 * Hand-made ReportData (48 salons, 240 items), so it runs in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import type { ThemeItemRef } from '../src/cluster/index.js';
import type { SimilarQuestionGroup } from '../src/index/index.js';
import { RECURRING_SHOWN } from '../src/report/glance.js';
import { type ReportData, renderHtml, renderJson, renderMarkdown } from '../src/report/index.js';
import { THEMES_SHOWN } from '../src/report/report-view.js';

const SALONS = 48;
const RECURRING = RECURRING_SHOWN + 8;

function archiveData(): ReportData {
  const salons = Array.from({ length: SALONS }, (_, s) => {
    // Every three weeks from 2021-01-02: 48 salons over 11 quarters.
    const date = new Date(Date.UTC(2021, 0, 2 + 21 * s)).toISOString().slice(0, 10);
    return { id: `s${s}`, title: `Salon ${s}`, date, source: `s${s}.md` };
  });
  const sections = ['insight', 'insight', 'question', 'question', 'disagreement'] as const;
  const items = salons.flatMap((salon) =>
    sections.map((section, i) => ({
      id: `${salon.id}#${section}-${i}`,
      salonId: salon.id,
      section,
      text: `${section} ${i} of ${salon.title}`,
    })),
  );
  const ref = (item: (typeof items)[number], score: number): ThemeItemRef => ({
    itemId: item.id,
    salonId: item.salonId,
    section: item.section,
    text: item.text,
    score,
  });
  const of = (section: string) => items.filter((item) => item.section === section);
  const questionRow = (item: (typeof items)[number]) => {
    const salon = salons.find((s) => s.id === item.salonId) as (typeof salons)[number];
    return {
      item: { ...item, ordinal: 1, line: 1 },
      salon: { id: salon.id, title: salon.title, date: salon.date },
    };
  };
  const questions = of('question');
  const recurringQuestions: SimilarQuestionGroup[] = Array.from({ length: RECURRING }, (_, g) => {
    const pair = [questions[2 * g], questions[2 * g + 2]].map((q) =>
      questionRow(q as (typeof items)[number]),
    );
    const [a, b] = pair.map((q) => q.item.id) as [string, string];
    return {
      questions: pair,
      salons: pair.map((q) => q.salon),
      cohesion: 0.8,
      scoring: 'csls',
      threshold: 0,
      weakestLink: 0.1,
      links: [{ a, b, score: 0.1, cosine: 0.8 }],
    };
  });
  return {
    formatVersion: 1,
    title: 'Archive',
    builtAt: '2025-04-01T09:30:00.000Z',
    embedder: { id: 'test-embedder@8', dim: 8 },
    salons: salons.map((s) => ({ ...s, counts: { insight: 2, question: 2, disagreement: 1 } })),
    items,
    themes: {
      embedderId: 'test-embedder@8',
      k: 1,
      kSelection: { mode: 'auto', curve: [{ k: 1, score: 0.4 }] },
      seed: 42,
      themes: [
        {
          id: 't1',
          keywords: ['everything'],
          label: 'everything',
          size: items.length,
          share: 1,
          itemIds: items.map((item) => item.id),
          representatives: of('insight')
            .slice(0, 3)
            .map((item) => ref(item, 0.9)),
          salons: salons.map((s) => ({ salonId: s.id, date: s.date, count: 5 })),
          firstDate: salons[0]?.date,
          lastDate: salons.at(-1)?.date,
          contested: 0.2,
          disagreements: of('disagreement').map((item) => ref(item, 0.5)),
          questions: questions.map((item) => ({ question: ref(item, 0.5), relatedInsights: [] })),
        },
      ],
      unassigned: [],
      assignments: Object.fromEntries(items.map((item) => [item.id, 't1'])),
    },
    recurringQuestions,
    map: items.map((item, i) => ({ itemId: item.id, x: i % 7, y: i % 5 })),
  };
}

describe('a report of an archive (48 salons)', () => {
  const data = archiveData();
  const quarters = [
    ...new Set(
      data.salons.map((s) => {
        const month = Number(s.date?.slice(5, 7));
        return `${s.date?.slice(0, 4)}-Q${Math.ceil(month / 3)}`;
      }),
    ),
  ].sort();
  const page = renderHtml(data);
  const markdown = renderMarkdown(data);

  it('has one heatmap column and one salon-table row per quarter, not per salon', () => {
    const head = page.slice(page.indexOf('<table class="heatmap">'));
    const columns = [
      ...head
        .slice(0, head.indexOf('</thead>'))
        .matchAll(/<th scope="col" class="salon"[^>]*>([^<]+)</g),
    ].map((m) => m[1]);
    expect(quarters.length).toBe(11);
    expect(columns).toEqual(quarters);
    for (const q of quarters) expect(page).toContain(`<th scope="row">${q}</th>`);
    // No per-salon column or row anywhere.
    expect(page).not.toContain('Salon 17</th>');
  });

  it('shows a theme card’s first questions and disagreements, the rest counted in report.json', () => {
    const card = page.slice(
      page.indexOf('<details class="theme"'),
      page.indexOf('</details>\n</div>'),
    );
    const questionTexts = card.match(/question 2 of Salon \d+|question 3 of Salon \d+/g) ?? [];
    expect(questionTexts).toHaveLength(6);
    expect(card).toContain(`${SALONS * 2 - 6} more questions in report.json.`);
    expect(card).toContain(`${SALONS - 6} more disagreements in report.json.`);
    expect(card).toContain(`All ${SALONS * 5} items of this theme are in report.json.`);
    expect(markdown).toContain(`- _${SALONS * 2 - 5} more questions in report.json._`);
    expect(markdown).toContain(`- _${SALONS - 5} more disagreements in report.json._`);
  });

  it('lists the top recurring questions and says how many more are in report.json', () => {
    const recurring = page.slice(
      page.indexOf('<section id="recurring"'),
      page.indexOf('<section id="map"'),
    );
    expect(recurring.match(/<h3>Candidate \d+/g)).toHaveLength(RECURRING_SHOWN);
    expect(recurring).toContain(`${RECURRING - RECURRING_SHOWN} more entries in report.json`);
    expect(markdown.match(/^### Candidate \d+/gm)).toHaveLength(RECURRING_SHOWN);
    expect(markdown).toContain(`${RECURRING - RECURRING_SHOWN} more entries in report.json`);
  });
});

/**
 * The same archive split into THEME_COUNT themes: item j goes to theme j % THEME_COUNT,
 * except that theme 150 (the last in clustering order) takes every salon's first
 * insight, so it reaches the most periods and must come first.
 */
const THEME_COUNT = 150;
function manyThemes(): ReportData {
  const data = archiveData();
  const base = data.themes.themes[0] as ReportData['themes']['themes'][number];
  const widest = `t${THEME_COUNT}`;
  const themeOf = (itemId: string, j: number) =>
    itemId.endsWith('#insight-0') ? widest : `t${(j % (THEME_COUNT - 1)) + 1}`;
  const assignments = Object.fromEntries(
    data.items.map((item, j) => [item.id, themeOf(item.id, j)]),
  );
  const themes = Array.from({ length: THEME_COUNT }, (_, i) => {
    const id = `t${i + 1}`;
    const itemIds = data.items.filter((item) => assignments[item.id] === id).map((item) => item.id);
    return {
      ...base,
      id,
      label: `theme ${i + 1}`,
      keywords: [`word${i + 1}`],
      size: itemIds.length,
      share: itemIds.length / data.items.length,
      itemIds,
      questions: base.questions.slice(0, 1),
      disagreements: base.disagreements.slice(0, 1),
    };
  });
  return { ...data, themes: { ...data.themes, k: THEME_COUNT, themes, assignments } };
}

describe(`a report of an archive with ${THEME_COUNT} themes`, () => {
  const data = manyThemes();
  const page = renderHtml(data);
  const markdown = renderMarkdown(data);
  const more = THEME_COUNT - THEMES_SHOWN;

  it('gives cards and heatmap rows to the most widely recurring themes only', () => {
    const cards = [...page.matchAll(/<details class="theme" id="theme-(t\d+)"/g)].map((m) => m[1]);
    expect(cards).toHaveLength(THEMES_SHOWN);
    expect(cards[0]).toBe(`t${THEME_COUNT}`);
    const heatmap = page.slice(
      page.indexOf('<section id="heatmap"'),
      page.indexOf('<section id="recurring"'),
    );
    const rows = [...heatmap.matchAll(/<tr data-theme="(t\d+)"/g)].map((m) => m[1]);
    expect(rows).toEqual(cards);
    expect(heatmap).toContain(`${more} more themes in report.json`);
    // Deterministic: the same data renders the same page.
    expect(renderHtml(manyThemes())).toBe(page);
  });

  it('lists the other themes in one table whose rows keep every theme reachable', () => {
    const rest = page.slice(page.indexOf('<details class="more-themes"'));
    expect(rest).toContain(`<summary>${more} more themes in report.json`);
    const rows = [...rest.slice(0, rest.indexOf('</details>')).matchAll(/<tr id="theme-(t\d+)">/g)];
    expect(rows).toHaveLength(more);
    // Every theme's anchor exists exactly once (links from "At a glance" land somewhere).
    for (let i = 1; i <= THEME_COUNT; i++) {
      expect(page.split(`id="theme-t${i}"`).length - 1, `theme t${i}`).toBe(1);
    }
    const legend = page.slice(page.indexOf('<ul class="legend"'));
    expect(legend.slice(0, legend.indexOf('</ul>')).match(/<a href="#theme-/g)).toHaveLength(
      THEMES_SHOWN,
    );
  });

  it('caps Markdown the same way and keeps every theme in report.json', () => {
    const cards = markdown.match(/^### \d+\. theme \d+$/gm) ?? [];
    expect(cards).toHaveLength(THEMES_SHOWN);
    expect(cards[0]).toBe(`### ${THEME_COUNT}. theme ${THEME_COUNT}`);
    expect(markdown).toContain(
      `_${more} more themes in report.json (listed at the end of Themes)._`,
    );
    expect(markdown).toContain(`### ${more} more themes in report.json`);
    const heatmapRows = markdown
      .slice(
        markdown.indexOf('## Themes across salons'),
        markdown.indexOf('## Recurring questions'),
      )
      .match(/^\| \d+\. theme/gm);
    expect(heatmapRows).toHaveLength(THEMES_SHOWN);
    const tableRows = markdown
      .slice(markdown.indexOf(`### ${more} more themes`))
      .match(/^\| \d+\. theme \d+ \| \d+ \| \d+ \| \d+ \|$/gm);
    expect(tableRows).toHaveLength(more);
    expect(JSON.parse(renderJson(data)).themes.themes).toHaveLength(THEME_COUNT);
  });
});
