/**
 * Make user text inert in GitHub-flavoured Markdown: it must show literally,
 * never become emphasis, links, raw HTML, math or table syntax.
 *
 *   `- ${escapeMarkdown(item.text)}`
 *   `| ${escapeMarkdown(salon.title)} |`   // `|` is escaped too, so table cells are safe
 *
 * CommonMark lets a backslash escape any ASCII punctuation, so we escape the
 * characters that start inline syntax anywhere in a line, plus the few that
 * only matter at the start of a line (headings, quotes, list markers), and
 * leave ordinary punctuation such as . , ' ( ) alone so the raw file stays
 * readable.
 */

/** Inline syntax anywhere: code, emphasis, links/images, raw HTML, entities, strike, math, tables. */
const INLINE = /[\\`*_[\]<>&~$|]/g;

export function escapeMarkdown(text: string): string {
  const oneLine = text.replace(/\s*[\r\n]+\s*/g, ' ');
  const escaped = oneLine.replace(INLINE, (ch) => `\\${ch}`);
  // At line start (our items follow "- " or "| "): headings, quotes, lists, setext underlines.
  return escaped.replace(/^(\s*)([#>+\-=]|\d+[.)])/, (_m, space: string, mark: string) =>
    mark.length === 1 ? `${space}\\${mark}` : `${space}${mark.slice(0, -1)}\\${mark.slice(-1)}`,
  );
}
