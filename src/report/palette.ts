/**
 * Colours and marker shapes for themes, and the heatmap's colour ramp.
 *
 * Theme colours are Paul Tol's "muted" qualitative scheme (distinguishable
 * with the common colour-vision deficiencies). Colour is never the only cue:
 * each theme also gets a marker shape and a number, and shapes cycle with a
 * different period (4) than colours (9), so the first 36 themes each have a
 * unique colour + shape pair.
 *
 *   const { colour, shape } = themeStyle(index);
 */

export const THEME_COLOURS = [
  '#CC6677', // rose
  '#332288', // indigo
  '#DDCC77', // sand
  '#117733', // green
  '#88CCEE', // cyan
  '#882255', // wine
  '#44AA99', // teal
  '#999933', // olive
  '#AA4499', // purple
] as const;

/** Tol's "bad data" grey: items no theme claimed. */
export const UNASSIGNED_COLOUR = '#BBBBBB';

export const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;
export type Shape = (typeof SHAPES)[number];

export interface ThemeStyle {
  colour: string;
  shape: Shape;
}

export function themeStyle(index: number): ThemeStyle {
  return {
    colour: THEME_COLOURS[index % THEME_COLOURS.length] ?? '#000000',
    shape: SHAPES[index % SHAPES.length] ?? 'circle',
  };
}

/** SVG element markup (without attributes for data) for a marker of radius r at (x, y). */
export function shapeGeometry(
  shape: Shape,
  x: number,
  y: number,
  r: number,
): { tag: string; attrs: string } {
  const f = (n: number) => Number(n.toFixed(2));
  switch (shape) {
    case 'circle':
      return { tag: 'circle', attrs: `cx="${f(x)}" cy="${f(y)}" r="${f(r)}"` };
    case 'square': {
      const s = r * 0.9;
      return {
        tag: 'rect',
        attrs: `x="${f(x - s)}" y="${f(y - s)}" width="${f(2 * s)}" height="${f(2 * s)}"`,
      };
    }
    case 'triangle': {
      const t = r * 1.2;
      return {
        tag: 'path',
        attrs: `d="M${f(x)} ${f(y - t)}L${f(x + t * 0.87)} ${f(y + t * 0.5)}L${f(x - t * 0.87)} ${f(y + t * 0.5)}Z"`,
      };
    }
    case 'diamond': {
      const t = r * 1.2;
      return {
        tag: 'path',
        attrs: `d="M${f(x)} ${f(y - t)}L${f(x + t)} ${f(y)}L${f(x)} ${f(y + t)}L${f(x - t)} ${f(y)}Z"`,
      };
    }
  }
}

/**
 * Sequential ramp for heatmap cells (Tol's "iridescent"-like light→dark blue),
 * with whichever of black or white text contrasts more with it (crossover at luminance 0.179).
 */
const RAMP_LIGHT = [234, 242, 250];
const RAMP_DARK = [23, 63, 125];

export function heatColour(value: number, max: number): { background: string; text: string } {
  if (value <= 0 || max <= 0) return { background: '#f6f6f6', text: '#767676' };
  // sqrt so a cell with 1 item is still visibly tinted next to a cell with 20.
  const t = 0.15 + 0.85 * Math.sqrt(Math.min(value / max, 1));
  const channel = (i: number) =>
    Math.round((RAMP_LIGHT[i] ?? 0) + ((RAMP_DARK[i] ?? 0) - (RAMP_LIGHT[i] ?? 0)) * t);
  const rgb = [channel(0), channel(1), channel(2)];
  const hex = `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  return { background: hex, text: relativeLuminance(rgb) > 0.179 ? '#111111' : '#ffffff' };
}

function relativeLuminance([r, g, b]: number[]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r ?? 0) + 0.7152 * lin(g ?? 0) + 0.0722 * lin(b ?? 0);
}
