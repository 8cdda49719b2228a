/**
 * A tiny auto-escaping HTML template tag. Every interpolated string is escaped
 * (text and attribute contexts alike: & < > " ' all become entities), so user
 * text can only ever render as text. Markup built by other `html` calls is
 * passed through unchanged because it is wrapped in SafeHtml.
 *
 *   html`<li title="${item.text}">${item.text}</li>`   // both escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
 *
 * Attribute values must always be quoted in templates; unquoted attributes are
 * never safe whatever the escaping.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue =
  | SafeHtml
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly HtmlValue[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

/** Mark trusted, already-built markup (our own constants: CSS, SVG path data we computed). */
export function unsafeRaw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += toHtml(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function toHtml(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(toHtml).join('');
  return escapeHtml(String(value));
}
