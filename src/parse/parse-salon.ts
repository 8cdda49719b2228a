/**
 * Parse one takeaways document into a Salon.
 *
 *   const salon = parseSalon(text, { source: 'salons/2023-11-25.md' });
 *   salon.items.filter((i) => i.section === 'question').length;
 *
 * Line-oriented on purpose: the documents are LLM output with a handful of
 * quirks (chatter between bullets, leaked prompt lines), and a line model lets
 * every dropped line be reported with its number.
 */
import { SalonParseError } from '../errors.js';
import { decodeDocument } from './decode.js';
import { identityFromFileName, readHeader, type SalonIdentity, salonSlug } from './header.js';
import { isInstruction } from './instructions.js';
import type { Item, ParseWarning, Salon, Section } from './schema.js';
import { headingAliases, readHeading } from './sections.js';

export interface ParseOptions {
  /** Where the text came from; used in errors and to name the salon when there is no header. */
  source: string;
  /** Refuse documents larger than this many bytes (default 16 MiB). */
  maxBytes?: number;
  /**
   * Name of the folder the document was read from (loadSalons sets it): a document
   * without a header is then told apart from one of the same file name elsewhere.
   */
  folder?: string;
  /**
   * Headings of your own mapped to a section, e.g. `{ 'Where we disagreed': 'disagreement' }`
   * (compared case-insensitively, ignoring emphasis, numbering and a trailing colon).
   * Other unknown headings are skipped with an `unknown-section` warning.
   */
  headingAliases?: Readonly<Record<string, Section>>;
}

const BULLET = /^([ \t]*)(?:[-*+•–]|\d{1,4}[.)])[ \t]+(.*)$/u;
const DISAGREEMENT_PREFIX = /^\[\s*disagreement\s*\d*\s*\]\s*[:.-]?\s*/i;
const EXPECTED_SECTIONS =
  "a section heading such as '# Insights', '# Questions' or '# Disagreements'";

interface OpenItem {
  section: Section;
  line: number;
  lastLine: number;
  parts: string[];
}

export function parseSalon(input: string | Uint8Array, options: ParseOptions): Salon {
  const { source } = options;
  const text = decodeDocument(input, { file: source, maxBytes: options.maxBytes });
  const lines = text.split(/\r\n|\r|\n/);
  const firstContent = lines.findIndex((l) => l.trim().length > 0);
  if (firstContent === -1) {
    throw new SalonParseError(source, 1, `${EXPECTED_SECTIONS}`, 'an empty file');
  }

  const aliases = headingAliases(options.headingAliases);
  let identity: SalonIdentity | undefined;
  const warnings: ParseWarning[] = [];
  const drafts: OpenItem[] = [];
  // Every recognised heading with its bullet count: an empty one is worth a warning.
  const headings: Array<{ section: Section; line: number; bullets: number }> = [];
  let section: Section | 'unknown' | undefined;
  let open: OpenItem | undefined;
  let previousBlank = false;

  const warn = (line: number, kind: ParseWarning['kind'], message: string, raw: string) =>
    warnings.push({ line, kind, message, text: raw.trim() });

  const close = () => {
    if (open) drafts.push(open);
    open = undefined;
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/\s+$/u, '');
    if (line.trim().length === 0) {
      previousBlank = true;
      return;
    }
    const blankBefore = previousBlank;
    previousBlank = false;

    if (!identity && !section) {
      const header = readHeader(line);
      if (header?.impossibleDate) {
        throw new SalonParseError(
          source,
          lineNo,
          'a real calendar date (YYYY-MM-DD) in the recording header',
          `"${header.impossibleDate}", which is no day of the calendar`,
        );
      }
      if (header) {
        identity = header;
        return;
      }
    }

    const heading = readHeading(line, aliases);
    if (heading) {
      close();
      if (heading.kind === 'section') {
        section = heading.section;
        headings.push({ section, line: lineNo, bullets: 0 });
      } else {
        section = 'unknown';
        warn(
          lineNo,
          'unknown-section',
          `unknown section "${heading.text}"; its content is skipped`,
          line,
        );
      }
      return;
    }

    const bullet = BULLET.exec(line);
    if (bullet) {
      close();
      if (section === 'unknown') return;
      if (!section) {
        warn(lineNo, 'outside-section', 'bullet before any section heading; skipped', line);
        return;
      }
      const current = headings[headings.length - 1];
      if (current) current.bullets++;
      open = { section, line: lineNo, lastLine: lineNo, parts: [bullet[2] ?? ''] };
      return;
    }

    // A wrapped bullet continues on an indented line, or mid-sentence (lower-case start)
    // right below it. Anything else between bullets is the assistant talking.
    const indented = /^[ \t]+\S/.test(line);
    const continues = open && (indented || (!blankBefore && /^\p{Ll}/u.test(line.trim())));
    if (open && continues) {
      open.parts.push(line.trim());
      open.lastLine = lineNo;
      return;
    }
    close();
    if (section === 'unknown') return;
    if (!section) {
      if (identity || index !== firstContent) {
        warn(lineNo, 'outside-section', 'text before the first section; skipped', line);
      } else {
        warn(lineNo, 'outside-section', 'first line is not a takeaways header; skipped', line);
      }
      return;
    }
    warn(lineNo, 'chatter', 'prose between items (assistant commentary); skipped', line);
  });
  close();

  if (headings.length === 0) {
    throw new SalonParseError(
      source,
      firstContent + 1,
      EXPECTED_SECTIONS,
      `"${truncate(lines[firstContent]?.trim() ?? '', 60)}" and no section heading anywhere`,
    );
  }

  const salonIdentity = identity ?? {
    ...identityFromFileName(source),
    ...(options.folder !== undefined ? { folder: options.folder } : {}),
  };
  if (salonIdentity.impossibleDate) {
    // No header: the date comes from the file name, and must be a real day as well.
    throw new SalonParseError(
      source,
      firstContent + 1,
      'a recording header, or a real calendar date (YYYY-MM-DD) in the file name',
      `"${salonIdentity.impossibleDate}" in the file name, which is no day of the calendar`,
    );
  }
  const id = salonSlug(salonIdentity);
  const items = buildItems(id, drafts, warn);
  for (const heading of headings) {
    if (heading.bullets === 0)
      warn(heading.line, 'empty-section', `${heading.section} section has no items`, '');
  }
  warnings.sort((a, b) => a.line - b.line);

  return {
    id,
    ...(salonIdentity.date ? { date: salonIdentity.date } : {}),
    title: salonIdentity.title,
    source,
    items,
    warnings,
  };
}

function buildItems(
  salonId: string,
  drafts: OpenItem[],
  warn: (line: number, kind: ParseWarning['kind'], message: string, raw: string) => void,
): Item[] {
  const ordinals = new Map<Section, number>();
  const items: Item[] = [];
  for (const draft of drafts) {
    const text = draft.parts
      .join(' ')
      .replace(/\s+/gu, ' ')
      .trim()
      .replace(DISAGREEMENT_PREFIX, '');
    if (text.length === 0) continue;
    if (isInstruction(text)) {
      const span = draft.lastLine > draft.line ? ` (lines ${draft.line}-${draft.lastLine})` : '';
      warn(draft.line, 'instruction', `leaked prompt instruction${span}; skipped`, text);
      continue;
    }
    const ordinal = (ordinals.get(draft.section) ?? 0) + 1;
    ordinals.set(draft.section, ordinal);
    items.push({
      id: `${salonId}#${draft.section[0]}${ordinal}`,
      salonId,
      section: draft.section,
      text,
      ordinal,
      line: draft.line,
    });
  }
  return items;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
