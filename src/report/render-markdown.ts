/**
 * The theme report as GitHub-flavoured Markdown: the HTML report's content
 * without the map (tables and lists only), so it reads well in a repository or
 * a pull request.
 *
 *   await writeFile('report.md', renderMarkdown(data));
 *
 * Every piece of user text goes through escapeMarkdown (pipes included, so
 * table cells cannot break).
 */
import type { ThemeItemRef } from '../cluster/index.js';
import { parseOptions } from '../errors.js';
import { reachLine, wordingNumbers, wordingsOf } from '../index/index.js';
import { REPORT_MARKER } from '../parse/index.js';
import { showControls } from '../util/control-chars.js';
import {
  MOST_PERIODS,
  RECENT_PERIODS,
  RECURRING_SALONS,
  RECURRING_SHOWN,
  type Trend,
} from './glance.js';
import { escapeMarkdown as md } from './markdown-escape.js';
import {
  createReportView,
  dateSpan,
  formatPercent,
  formatTimestamp,
  periodsPresent,
  plural,
  type ReportView,
  scoreLabel,
  scoringName,
  type ThemeView,
} from './report-view.js';
import { type ReportData, ReportDataSchema } from './schema.js';
import { skippedNote } from './skipped-note.js';

export function renderMarkdown(data: ReportData): string {
  const view = createReportView(parseOptions(ReportDataSchema, data, 'report data'));
  // The marker (an HTML comment: invisible when rendered) lets `report <folder>` skip
  // this file when the output folder sits inside the salons folder.
  const blocks = [
    REPORT_MARKER,
    header(view),
    glance(view),
    overview(view),
    heatmap(view),
    recurringQuestions(view),
    themes(view),
  ];
  // Read in terminals (`cat report.md`) as much as rendered: no control character
  // from a document may reach the file raw (escapeMarkdown handles the syntax).
  return showControls(`${blocks.join('\n\n').trimEnd()}\n`, { keepLayout: true });
}

function header(view: ReportView): string {
  const { data } = view;
  return [
    `# ${md(view.title)}`,
    '',
    `Built ${formatTimestamp(view.builtAt)} with the \`${data.embedder.id.replace(/`/g, '')}\` embedder ` +
      `(${data.embedder.dim} dimensions) · ${plural(view.salons.length, 'salon')} · ` +
      `${plural(view.itemCount, 'item')} · ${plural(view.themes.length, 'theme')}` +
      (view.unassigned > 0 ? ` · ${view.unassigned} unassigned` : ''),
  ].join('\n');
}

function glance(view: ReportView): string {
  const g = view.glance;
  const list = (themes: readonly ThemeView[], detail: (t: ThemeView) => string): string =>
    themes.length === 0
      ? '_none_'
      : themes.map((t) => `${t.number}. ${md(t.theme.label)} (${detail(t)})`).join('; ');
  const a = g.archive;
  if (a) {
    const trend = (list: readonly Trend[]) => (t: ThemeView) => {
      const x = list.find((y) => y.theme === t) as Trend;
      return `${formatPercent(x.before)} → ${formatPercent(x.recent)} of items`;
    };
    const most = Math.ceil(MOST_PERIODS * a.periods);
    return [
      '## At a glance',
      '',
      `- **In ${most}+ of ${a.periods} periods (${a.inMostCount} of ${view.themes.length} themes):** ${list(a.inMostPeriods, (t) => `${periodsPresent(t)} periods`)}`,
      `- **Rising (last ${RECENT_PERIODS} periods against before):** ${list(
        a.rising.map((x) => x.theme),
        trend(a.rising),
      )}`,
      `- **Fading (last ${RECENT_PERIODS} periods against before):** ${list(
        a.fading.map((x) => x.theme),
        trend(a.fading),
      )}`,
      `- **Most contested:** ${list(g.contested, (t) => `${formatPercent(t.theme.contested)} disagreements`)}`,
      `- **Most widely recurring questions:** ${
        a.questions.length === 0
          ? '_none_'
          : a.questions
              .map((q) => `${md(wordingsOf(q)[0]?.text ?? '')} (${reachLine(q)})`)
              .join('; ')
      }`,
    ].join('\n');
  }
  const lines = [
    '## At a glance',
    '',
    `- **In ${RECURRING_SALONS}+ salons (${g.recurringCount} of ${view.themes.length} themes):** ${list(g.recurring, (t) => `${t.salonsPresent.length} salons`)}`,
    `- **Most contested:** ${list(g.contested, (t) => `${formatPercent(t.theme.contested)} disagreements`)}`,
  ];
  if (g.latestSalon) {
    lines.push(
      `- **New in the latest salon (${md(g.latestSalon.label)}):** ${list(g.newInLatest, (t) => plural(t.theme.size, 'item'))}`,
      `- **Faded (absent from the latest salon):** ${list(g.faded, (t) => `last ${t.theme.lastDate ?? 'seen earlier'}`)}`,
    );
  }
  return lines.join('\n');
}

function overview(view: ReportView): string {
  const k = view.data.themes.kSelection.mode === 'auto' ? 'k chosen automatically' : 'k fixed';
  const kept = `${plural(view.themes.length, 'theme')} kept from k = ${view.data.themes.k} clusters (${k}, seed ${view.data.themes.seed}).`;
  if (view.periods) {
    return [
      '## Overview',
      '',
      'Salons by period (every salon is in report.json).',
      '',
      '| Period | Salons | Insights | Questions | Disagreements | Items |',
      '|---|--:|--:|--:|--:|--:|',
      ...view.periods.map(
        (p) =>
          `| ${p.key} | ${p.salons.length} | ${p.counts.insight} | ${p.counts.question} | ${p.counts.disagreement} | ${p.total} |`,
      ),
      '',
      kept,
    ].join('\n');
  }
  const rows = view.salons.map(
    (s) =>
      `| ${s.key} | ${s.date ?? '–'} | ${md(s.title)} | ${s.counts.insight} | ${s.counts.question} | ` +
      `${s.counts.disagreement} | ${s.total} |`,
  );
  return [
    '## Overview',
    '',
    '| Key | Date | Salon | Insights | Questions | Disagreements | Items |',
    '|---|---|---|--:|--:|--:|--:|',
    ...rows,
    '',
    kept,
    ...skippedLines(view),
  ].join('\n');
}

/** "Skipped content" after the salon table: only salons whose document lost something. */
function skippedLines(view: ReportView): string[] {
  const notes = view.salons.flatMap((s) => {
    const note = skippedNote(s);
    return note ? [`- **${s.key}** ${md(s.title)}: ${md(note)}`] : [];
  });
  return notes.length === 0
    ? []
    : ['', '**Skipped content** (not in the counts above):', '', ...notes];
}

function heatmap(view: ReportView): string {
  if (view.themes.length === 0) return '## Themes across salons\n\nNo themes were found.';
  if (view.periods) {
    const periods = view.periods;
    return [
      '## Themes across salons',
      '',
      `Items per theme in each period, oldest first (· = none)${view.moreThemes.length > 0 ? `; the ${view.shownThemes.length} most widely recurring themes, most periods first` : ''}.`,
      '',
      `| Theme | ${periods.map((p) => p.key).join(' | ')} | Total |`,
      `|---|${periods.map(() => '--:').join('|')}|--:|`,
      ...view.shownThemes.map(
        (t) =>
          `| ${t.number}. ${md(t.theme.label)} | ${t.countsByPeriod.map(cell).join(' | ')} | ${t.theme.size} |`,
      ),
      ...moreThemesNote(view),
    ].join('\n');
  }
  const head = `| Theme | ${view.salons.map((s) => s.key).join(' | ')} | Total |`;
  const align = `|---|${view.salons.map(() => '--:').join('|')}|--:|`;
  const rows = view.themes.map(
    (t) =>
      `| ${t.number}. ${md(t.theme.label)} | ${t.countsBySalon.map(cell).join(' | ')} | ${t.theme.size} |`,
  );
  const keys = view.salons.map((s) => `${s.key} = ${md(s.label)}`).join(' · ');
  return [
    '## Themes across salons',
    '',
    'Items per theme in each salon, salons oldest first (· = none).',
    '',
    head,
    align,
    ...rows,
    '',
    keys,
  ].join('\n');
}

function cell(count: number): string {
  return count === 0 ? '·' : String(count);
}

function themes(view: ReportView): string {
  if (view.themes.length === 0) return '';
  return ['## Themes', ...view.shownThemes.map((t) => theme(view, t)), ...moreThemes(view)].join(
    '\n\n',
  );
}

/** "_102 more themes in report.json…_" under the heatmap, when themes were cut. */
function moreThemesNote(view: ReportView): string[] {
  const more = view.moreThemes.length;
  return more > 0
    ? ['', `_${plural(more, 'more theme')} in report.json (listed at the end of Themes)._`]
    : [];
}

/** The themes past THEMES_SHOWN as one compact table: title, periods, salons, items. */
function moreThemes(view: ReportView): string[] {
  const rest = view.moreThemes;
  if (rest.length === 0) return [];
  return [
    [
      `### ${plural(rest.length, 'more theme')} in report.json`,
      '',
      `Cards above are for the ${view.shownThemes.length} most widely recurring themes; the others, in the same order:`,
      '',
      '| Theme | Periods | Salons | Items |',
      '|---|--:|--:|--:|',
      ...rest.map(
        (t) =>
          `| ${t.number}. ${md(t.theme.label)}${t.theme.kind === 'guided' ? ' (guided)' : ''} | ${periodsPresent(t)} | ${t.salonsPresent.length} | ${t.theme.size} |`,
      ),
    ].join('\n'),
  ];
}

function theme(view: ReportView, t: ThemeView): string {
  const { theme } = t;
  const span = dateSpan(t);
  const lines = [
    `### ${t.number}. ${md(theme.label)}${theme.kind === 'guided' ? ' (guided)' : ''}`,
    '',
    `- **Size:** ${plural(theme.size, 'item')} (${formatPercent(theme.share)} of all)`,
    (view.periods
      ? `- **Periods:** ${view.periods
          .flatMap((p, i) =>
            (t.countsByPeriod[i] ?? 0) > 0 ? [`${p.key} (${t.countsByPeriod[i]})`] : [],
          )
          .join('; ')} · ${plural(t.salonsPresent.length, 'salon')}`
      : `- **Salons:** ${t.salonsPresent.map((s) => `${md(s.label)} (${t.countsBySalon[view.salons.indexOf(s)]})`).join('; ')}`) +
      (span ? ` · ${span}` : ''),
    `- **Contested:** ${formatPercent(theme.contested)} of its items are disagreements`,
    `- **Keywords:** ${theme.keywords.map(md).join(', ')}`,
  ];
  if (theme.representatives.length > 0) {
    lines.push(
      '',
      '#### Representative items',
      '',
      ...theme.representatives.map((r) => `- ${ref(view, r)}`),
    );
  }
  // An archive's theme holds hundreds of questions: the closest few here, all in the JSON.
  const cap = view.periods ? MD_LIST_MAX : Number.POSITIVE_INFINITY;
  const more = (total: number, noun: string): string[] =>
    total > cap ? [`- _${plural(total - cap, `more ${noun}`)} in report.json._`] : [];
  if (theme.questions.length > 0) {
    lines.push('', '#### Questions and related insights from other salons', '');
    for (const q of theme.questions.slice(0, cap)) {
      lines.push(`- ${ref(view, q.question, false)}`);
      if (q.relatedInsights.length === 0) lines.push('  - _No close insight in another salon._');
      for (const r of q.relatedInsights) lines.push(`  - ↳ ${ref(view, r)} (${scoreLabel(r)})`);
    }
    lines.push(...more(theme.questions.length, 'question'));
  }
  if (theme.disagreements.length > 0) {
    lines.push(
      '',
      '#### Disagreements',
      '',
      ...theme.disagreements.slice(0, cap).map((d) => `- ${ref(view, d, false)}`),
      ...more(theme.disagreements.length, 'disagreement'),
    );
  }
  return lines.join('\n');
}

/** An item with where it came from: "text — _2024-06-08 · Education_ (question)". */
function ref(view: ReportView, item: ThemeItemRef, showSection = true): string {
  const salon = view.salon(item.salonId);
  const where = salon ? ` — _${md(salon.label)}_` : '';
  const section = showSection && item.section !== 'insight' ? ` (${item.section})` : '';
  return `${md(item.text)}${where}${section}`;
}

/** Questions or disagreements per theme in an archive's Markdown; the rest are in report.json. */
const MD_LIST_MAX = 5;

function recurringQuestions(view: ReportView): string {
  const groups = view.data.recurringQuestions;
  if (groups.length === 0) {
    return '## Recurring questions\n\nNo question was asked in similar words in more than one salon.';
  }
  const first = groups[0] as (typeof groups)[number];
  const blocks = groups.slice(0, RECURRING_SHOWN).map((group, i) => {
    const header = `### Candidate ${i + 1}: ${reachLine(group)} (weakest link ${group.weakestLink.toFixed(2)})`;
    const wordings = wordingsOf(group);
    const number = wordingNumbers(wordings);
    const items = wordings.map((w, n) => {
      const q = group.questions.find((x) => x.item.id === w.itemIds[0]);
      const where =
        w.itemIds.length === 1
          ? md(view.salon(q?.salon.id ?? '')?.label ?? q?.salon.title ?? '')
          : `${plural(w.salonCount, 'salon')}${w.firstDate && w.lastDate ? `, ${w.firstDate} → ${w.lastDate}` : ''}`;
      return `${n + 1}. ${md(w.text)} — _${where}_`;
    });
    const links = group.links
      .map(
        (l) =>
          `${number.get(l.a)}–${number.get(l.b)}: ${l.score.toFixed(2)} (cosine ${l.cosine.toFixed(2)})`,
      )
      .join('; ');
    return [header, '', ...items, ...(links ? ['', `Links: ${links}`] : [])].join('\n');
  });
  const more = groups.length - blocks.length;
  return [
    '## Recurring questions',
    '',
    `Candidates to review, most widely asked first, then strongest: questions from different salons that may ask the same thing; repeats of one wording count every salon that asked it. ` +
      `Every pair of wordings in an entry scores at least ${first.threshold.toFixed(2)} (${scoringName(first.scoring)}); ` +
      'the model cannot tell "same words, different question" apart, so read before trusting.',
    '',
    blocks.join('\n\n'),
    ...(more > 0
      ? [
          '',
          `${plural(more, 'more entry', 'more entries')} in report.json (\`recurringQuestions\`).`,
        ]
      : []),
  ].join('\n');
}
