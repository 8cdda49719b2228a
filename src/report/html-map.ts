/**
 * The 2-D item map as inline SVG: one mark per item (`data-item-id`), colour
 * and shape by theme, the theme number at each theme's centre, and a native
 * `<title>` tooltip with the item's text. Geometry is fixed in a viewBox so the
 * picture scales with the page; x and y share one scale so distances on the
 * map mean the same in both directions.
 *
 *   html`<figure>${renderMap(view)}${renderLegend(view)}</figure>`
 */
import { html, type SafeHtml, unsafeRaw } from './html.js';
import { type Shape, shapeGeometry } from './palette.js';
import type { ReportView, ThemeView } from './report-view.js';

const WIDTH = 640;
const HEIGHT = 440;
const PAD = 22;
const RADIUS = 5;
/** Marks drawn at most; larger reports draw an evenly spaced sample. */
export const MAP_MAX_MARKS = 1500;
/** Themes whose number is drawn at their centre on the map (the largest ones). */
export const MAP_LABELS = 10;

interface Placed {
  itemId: string;
  px: number;
  py: number;
  theme: ThemeView | undefined;
}

export function renderMap(view: ReportView): SafeHtml {
  const placed = place(view);
  // An archive's 12,000 marks, each with its text as a tooltip, were megabytes of
  // page: past MAP_MAX_MARKS an evenly spaced sample is drawn (centres use every item).
  const stride = Math.ceil(placed.length / MAP_MAX_MARKS);
  const drawn = stride > 1 ? placed.filter((_, i) => i % stride === 0) : placed;
  // Unassigned items first so themed marks are drawn on top of them.
  const ordered = [...drawn.filter((p) => !p.theme), ...drawn.filter((p) => p.theme)];
  const marks = ordered.map((p) => mark(view, p));
  // Numbers only on the largest themes: 30 overlapping numbers read as noise. The
  // legend below names every theme, and each mark's tooltip names its theme.
  const labelled = new Set(
    [...view.themes]
      .sort((a, b) => b.theme.size - a.theme.size || a.number - b.number)
      .slice(0, MAP_LABELS),
  );
  const labels = view.themes.filter((t) => labelled.has(t)).map((t) => centreLabel(t, placed));
  const description =
    `Scatter plot of ${drawn.length < placed.length ? `${drawn.length} of the ${view.itemCount} items (an even sample)` : `all ${view.itemCount} items`}, placed by the first two principal components of ` +
    'their embeddings, so items about similar things sit close together. Colour and shape show the ' +
    `theme, and the numbers mark the centres of the ${MAP_LABELS} largest themes. Hover a mark to read the item; ` +
    (view.periods
      ? 'every item is listed with its theme in report.json.'
      : 'every item is also listed under its theme in the Themes section.');
  return html`<svg class="plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="map-title map-desc" xmlns="http://www.w3.org/2000/svg">
<title id="map-title">Map of all items, coloured by theme</title>
<desc id="map-desc">${description}</desc>
<rect class="frame" x="0.5" y="0.5" width="${WIDTH - 1}" height="${HEIGHT - 1}" rx="6"/>
<g class="marks">
${marks}
</g>
<g class="labels" aria-hidden="true">${labels}</g>
</svg>`;
}

/** Legend: shape + colour + number + label, so the map is readable without telling colours apart. */
export function renderLegend(view: ReportView): SafeHtml {
  const entries = view.shownThemes.map(
    (t) =>
      html`<li>${keySvg(t.style.shape, t.style.colour)}<span><a href="#theme-${t.theme.id}">${t.number}. ${t.theme.label}</a> <span class="src">(${t.theme.size})</span></span></li>`,
  );
  const unassigned =
    view.unassigned > 0
      ? html`<li>${keySvg('circle', '#ffffff', '#8a8a8a')}<span>Not in any theme</span> <span class="src">(${view.unassigned})</span></li>`
      : '';
  // An archive's legend names the themes with cards; the mark's tooltip names any theme.
  const more =
    view.moreThemes.length > 0
      ? html`<li><span class="src">${view.moreThemes.length} more themes: hover a mark to read its theme</span></li>`
      : '';
  return html`<ul class="legend" aria-label="Map legend">${entries}${unassigned}${more}</ul>`;
}

/** A small standalone marker for legends and headings (decorative: the text next to it names the theme). */
export function keySvg(shape: Shape, fill: string, stroke = '#2b2b2b'): SafeHtml {
  const { tag, attrs } = shapeGeometry(shape, 0, 0, 6);
  return html`<svg class="key" viewBox="-9 -9 18 18" aria-hidden="true" focusable="false"><${unsafeRaw(tag)} ${unsafeRaw(attrs)} fill="${fill}" stroke="${stroke}" stroke-width="1"/></svg>`;
}

function place(view: ReportView): Placed[] {
  const points = view.data.map;
  if (points.length === 0) return [];
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const [minY, maxY] = [Math.min(...ys), Math.max(...ys)];
  const spanX = maxX - minX || 1;
  const spanY = maxY - minY || 1;
  const scale = Math.min((WIDTH - 2 * PAD) / spanX, (HEIGHT - 2 * PAD) / spanY);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return points.map((p) => ({
    itemId: p.itemId,
    px: WIDTH / 2 + (p.x - cx) * scale,
    // SVG's y grows downwards; flip so "up" on the map is +y as in the data.
    py: HEIGHT / 2 - (p.y - cy) * scale,
    theme: view.themeOf(p.itemId),
  }));
}

function mark(view: ReportView, p: Placed): SafeHtml {
  const item = view.item(p.itemId);
  const salon = item ? view.salon(item.salonId) : undefined;
  const shape = p.theme?.style.shape ?? 'circle';
  const { tag, attrs } = shapeGeometry(shape, p.px, p.py, p.theme ? RADIUS : RADIUS * 0.8);
  const where = [salon?.label, item?.section].filter(Boolean).join(' · ');
  const themeText = p.theme
    ? `Theme ${p.theme.number}: ${p.theme.theme.label}`
    : 'Not in any theme';
  const tooltip = `${item?.text ?? p.itemId}\n— ${where}\n${themeText}`;
  const fill = p.theme?.style.colour ?? '#ffffff';
  return html`<${unsafeRaw(tag)} class="mark${p.theme ? '' : ' unassigned'}" data-item-id="${p.itemId}" data-theme="${p.theme?.theme.id ?? ''}" ${unsafeRaw(attrs)} fill="${fill}"><title>${tooltip}</title></${unsafeRaw(tag)}>
`;
}

function centreLabel(theme: ThemeView, placed: Placed[]): SafeHtml | string {
  const members = placed.filter((p) => p.theme === theme);
  if (members.length === 0) return '';
  const x = members.reduce((s, p) => s + p.px, 0) / members.length;
  const y = members.reduce((s, p) => s + p.py, 0) / members.length;
  return html`<text class="label" x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="middle" dominant-baseline="middle">${theme.number}</text>`;
}
