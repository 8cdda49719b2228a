/**
 * A small hand-made ReportData with known counts and hostile text, for unit
 * tests of the renderers. Salons are listed out of date order on purpose.
 *
 *   const data = makeReportData();
 */
import type { ThemeItemRef } from '../../src/cluster/index.js';
import type { ReportData, ReportItem } from '../../src/report/index.js';

export const HOSTILE_SCRIPT = '<script>window.__pwned = 1; alert(1)</script>';
export const HOSTILE_TITLE = 'Pipes | "quotes" & <b>tags</b>';

const items: ReportItem[] = [
  {
    id: 'b#insight-1',
    salonId: 'b',
    section: 'insight',
    text: `Watch out: ${HOSTILE_SCRIPT} was pasted in.`,
  },
  {
    id: 'b#insight-2',
    salonId: 'b',
    section: 'insight',
    text: 'Artists want "consent" before training | not after.',
  },
  { id: 'b#question-1', salonId: 'b', section: 'question', text: 'Who owns a style?' },
  {
    id: 'b#disagreement-1',
    salonId: 'b',
    section: 'disagreement',
    text: 'Whether *fair use* covers training.',
  },
  { id: 'a#insight-1', salonId: 'a', section: 'insight', text: 'Models are built by few firms.' },
  {
    id: 'a#insight-2',
    salonId: 'a',
    section: 'insight',
    text: 'Style is not protected by copyright.',
  },
  { id: 'a#question-1', salonId: 'a', section: 'question', text: 'Can small labs compete?' },
  {
    id: 'a#question-2',
    salonId: 'a',
    section: 'question',
    text: '# Not a heading <img src=x onerror="window.__pwned=2">',
  },
  {
    id: 'c#insight-1',
    salonId: 'c',
    section: 'insight',
    text: 'Undated salon insight about compute.',
  },
];

function ref(id: string, score: number): ThemeItemRef {
  const item = items.find((i) => i.id === id);
  if (!item) throw new Error(`fixture: no item ${id}`);
  return { itemId: item.id, salonId: item.salonId, section: item.section, text: item.text, score };
}

/** t1 (copyright): a=1, b=4, c=0 · t2 (power): a=2, b=0, c=1 · a#question-2 unassigned. */
export function makeReportData(): ReportData {
  return {
    formatVersion: 1,
    title: HOSTILE_TITLE,
    builtAt: '2025-04-01T09:30:00.000Z',
    embedder: { id: 'test-embedder@8', dim: 8 },
    salons: [
      {
        id: 'b',
        title: 'Art <and> authorship',
        date: '2024-10-19',
        source: 'b.md',
        counts: { insight: 2, question: 1, disagreement: 1 },
      },
      {
        id: 'c',
        title: 'Undated | salon',
        source: 'c.md',
        counts: { insight: 1, question: 0, disagreement: 0 },
      },
      {
        id: 'a',
        title: 'Who owns the models',
        date: '2024-09-14',
        source: 'a.md',
        counts: { insight: 2, question: 2, disagreement: 0 },
      },
    ],
    items,
    themes: {
      embedderId: 'test-embedder@8',
      k: 2,
      kSelection: { mode: 'auto', curve: [{ k: 2, score: 0.4 }] },
      seed: 42,
      themes: [
        {
          id: 't1',
          keywords: ['copyright', 'style', 'artists', 'consent'],
          label: 'copyright · style · artists',
          size: 5,
          share: 5 / 8,
          itemIds: [
            'b#insight-1',
            'b#insight-2',
            'b#question-1',
            'b#disagreement-1',
            'a#insight-2',
          ],
          representatives: [ref('b#insight-2', 0.9), ref('b#insight-1', 0.8)],
          salons: [
            { salonId: 'a', date: '2024-09-14', count: 1 },
            { salonId: 'b', date: '2024-10-19', count: 4 },
          ],
          firstDate: '2024-09-14',
          lastDate: '2024-10-19',
          contested: 0.2,
          disagreements: [ref('b#disagreement-1', 0.7)],
          questions: [
            { question: ref('b#question-1', 0.75), relatedInsights: [ref('a#insight-2', 0.66)] },
          ],
        },
        {
          id: 't2',
          keywords: ['firms', 'labs', 'compute'],
          label: 'firms · labs · compute',
          size: 3,
          share: 3 / 8,
          itemIds: ['a#insight-1', 'a#question-1', 'c#insight-1'],
          representatives: [ref('a#insight-1', 0.88)],
          salons: [
            { salonId: 'a', date: '2024-09-14', count: 2 },
            { salonId: 'c', count: 1 },
          ],
          firstDate: '2024-09-14',
          lastDate: '2024-09-14',
          contested: 0,
          disagreements: [],
          questions: [{ question: ref('a#question-1', 0.8), relatedInsights: [] }],
        },
      ],
      unassigned: ['a#question-2'],
      assignments: {
        'b#insight-1': 't1',
        'b#insight-2': 't1',
        'b#question-1': 't1',
        'b#disagreement-1': 't1',
        'a#insight-2': 't1',
        'a#insight-1': 't2',
        'a#question-1': 't2',
        'c#insight-1': 't2',
      },
    },
    recurringQuestions: [
      {
        questions: [
          {
            item: {
              id: 'a#question-2',
              salonId: 'a',
              section: 'question',
              text: items[7]?.text ?? '',
              ordinal: 2,
              line: 9,
            },
            salon: { id: 'a', title: 'Who owns the models', date: '2024-09-14' },
          },
          {
            item: {
              id: 'b#question-1',
              salonId: 'b',
              section: 'question',
              text: 'Who owns a style?',
              ordinal: 1,
              line: 7,
            },
            salon: { id: 'b', title: 'Art <and> authorship', date: '2024-10-19' },
          },
        ],
        salons: [
          { id: 'a', title: 'Who owns the models', date: '2024-09-14' },
          { id: 'b', title: 'Art <and> authorship', date: '2024-10-19' },
        ],
        cohesion: 0.81,
        scoring: 'csls',
        threshold: 0,
        weakestLink: 0.12,
        links: [{ a: 'a#question-2', b: 'b#question-1', score: 0.12, cosine: 0.81 }],
      },
    ],
    map: items.map((item, i) => ({ itemId: item.id, x: i - 4, y: (i % 3) - 1 })),
  };
}
