import { describe, expect, it } from 'vitest';
import { isSalonLensError } from '../src/errors.js';
import { ReportDataSchema, renderHtml, renderJson, renderMarkdown } from '../src/report/index.js';
import { HOSTILE_SCRIPT, makeReportData } from './helpers/report-fixture.js';

/** Theme id -> counts per salon column, read back from the rendered HTML heatmap. */
function htmlHeatmap(page: string): Record<string, number[]> {
  const table = page.slice(
    page.indexOf('<table class="heatmap">'),
    page.indexOf('</table>', page.indexOf('<table class="heatmap">')),
  );
  const rows: Record<string, number[]> = {};
  for (const row of table.matchAll(/<tr data-theme="([^"]+)">(.*?)<\/tr>/gs)) {
    rows[row[1] ?? ''] = [...(row[2] ?? '').matchAll(/<td class="cell"[^>]*>(\d+)<\/td>/g)].map(
      (m) => Number(m[1]),
    );
  }
  return rows;
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(makeReportData());

  it('has every theme as a section and in the heatmap', () => {
    expect(md).toContain('### 1. copyright · style · artists');
    expect(md).toContain('### 2. firms · labs · compute');
    expect(md).toMatch(/^\| 1\. copyright · style · artists \|/m);
  });

  it('counts items per theme per salon, salons oldest first and undated last', () => {
    // Columns: S1 = a (2024-09-14), S2 = b (2024-10-19), S3 = c (undated).
    expect(md).toContain('| Theme | S1 | S2 | S3 | Total |');
    expect(md).toMatch(/^\| 1\. copyright · style · artists \| 1 \| 4 \| · \| 5 \|$/m);
    expect(md).toMatch(/^\| 2\. firms · labs · compute \| 2 \| · \| 1 \| 3 \|$/m);
    expect(md).toContain('S1 = 2024-09-14 · Who owns the models');
  });

  it('escapes markdown and HTML in user text, including pipes inside table cells', () => {
    expect(md).not.toContain('<script>');
    expect(md).toContain('\\<script\\>window.\\_\\_pwned = 1; alert(1)\\</script\\>');
    expect(md).toContain('# Pipes \\| "quotes" \\& \\<b\\>tags\\</b\\>');
    // The undated salon's title has a pipe: the overview row must keep its 7 columns.
    const row = md.split('\n').find((line) => line.startsWith('| S3 |'));
    expect(row).toBe('| S3 | – | Undated \\| salon | 1 | 0 | 0 | 1 |');
    expect(row?.split(/(?<!\\)\|/).length).toBe(9);
    expect(md).toContain('\\*fair use\\*');
    // A leading '#' in an item must not become a heading.
    expect(md).toContain('1. \\# Not a heading');
  });

  it('lists questions with related insights, disagreements and recurring questions', () => {
    expect(md).toContain('- Who owns a style? — _2024-10-19 · Art \\<and\\> authorship_');
    expect(md).toContain(
      '  - ↳ Style is not protected by copyright. — _2024-09-14 · Who owns the models_ (similarity 0.66)',
    );
    expect(md).toContain('  - _No close insight in another salon._');
    expect(md).toContain('#### Disagreements');
    expect(md).toContain('### Candidate 1: asked in 2 salons (weakest link 0.12)');
    expect(md).toContain('Links: 1–2: 0.12 (cosine 0.81)');
    expect(md).toContain('Candidates to review, most widely asked first, then strongest');
    expect(md).toContain('**Contested:** 20%');
  });

  it('is deterministic and names the model and build time', () => {
    expect(renderMarkdown(makeReportData())).toBe(md);
    expect(md).toContain(
      'Built 2025-04-01 09:30 UTC with the `test-embedder@8` embedder (8 dimensions)',
    );
  });
});

describe('renderHtml', () => {
  const page = renderHtml(makeReportData());

  it('is one self-contained page with a strict CSP and no script or external reference', () => {
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;`,
    );
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(page).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });

  it('escapes user text in content and in attributes', () => {
    expect(page).toContain(
      'Watch out: &lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt; was pasted in.',
    );
    expect(page).toContain('&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
    expect(page).toContain(
      '<title>Pipes | &quot;quotes&quot; &amp; &lt;b&gt;tags&lt;/b&gt;</title>',
    );
    expect(page).toContain('title="2024-10-19 · Art &lt;and&gt; authorship"');
    expect(page).not.toContain(HOSTILE_SCRIPT);
    expect(page).not.toContain('<b>tags');
  });

  it('shows the heatmap with the right counts per salon column', () => {
    expect(htmlHeatmap(page)).toEqual({ t1: [1, 4, 0], t2: [2, 0, 1] });
  });

  it('draws one map mark per item with its text as hover title', () => {
    const marks = [
      ...page.matchAll(
        /<(circle|rect|path) class="mark[^"]*" data-item-id="([^"]+)"[^>]*><title>([^<]*)/g,
      ),
    ];
    expect(marks.map((m) => m[2]).sort()).toEqual(
      makeReportData()
        .items.map((i) => i.id)
        .sort(),
    );
    const hostile = marks.find((m) => m[2] === 'b#insight-1');
    expect(hostile?.[3]).toContain('&lt;script&gt;window.__pwned');
    expect(page).toContain('class="mark unassigned" data-item-id="a#question-2"');
  });

  it('has a theme article per theme and the recurring questions', () => {
    expect(page).toMatch(/<details class="theme" id="theme-t1"/);
    expect(page).toMatch(/<details class="theme" id="theme-t2"/);
    expect(page).toContain('1. copyright · style · artists');
    expect(page).toContain('Candidate 1: asked in 2 salons');
    expect(page).toContain('weakest link 0.12');
  });

  it('rejects data whose references dangle, naming the field', () => {
    const data = makeReportData();
    data.map.push({ itemId: 'nope', x: 0, y: 0 });
    let error: unknown;
    try {
      renderHtml(data);
    } catch (e) {
      error = e;
    }
    expect(isSalonLensError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('report data.map.9.itemId: unknown item "nope"');
  });
});

describe('renderJson', () => {
  it('round-trips through the schema', () => {
    const data = makeReportData();
    const json = renderJson(data);
    expect(json.endsWith('}\n')).toBe(true);
    expect(ReportDataSchema.parse(JSON.parse(json))).toEqual(data);
  });

  it('refuses invalid data instead of writing it', () => {
    const data = { ...makeReportData(), builtAt: 'yesterday' };
    expect(() => renderJson(data)).toThrow(/report data\.builtAt/);
  });
});
