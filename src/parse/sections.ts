/**
 * Recognise section headings and the common ways people name the three sections.
 *
 *   readHeading('## Key Questions') // → { kind: 'section', section: 'question', text: 'Key Questions' }
 *   readHeading('# Action items')   // → { kind: 'unknown', text: 'Action items' }
 */
import type { Section } from './schema.js';

export type Heading =
  | { kind: 'section'; section: Section; text: string }
  | { kind: 'unknown'; text: string };

const ATX_HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;

// Variants seen in takeaway documents; matched against the lower-cased heading
// with emphasis, numbering and a trailing colon removed.
const SECTION_NAMES: ReadonlyArray<readonly [Section, RegExp]> = [
  ['insight', /^(?:key |main |core |top )?(?:insights?|takeaways?)$/],
  ['question', /^(?:key |open |main |top |remaining |unanswered )?questions?(?: raised)?$/],
  [
    'disagreement',
    /^(?:(?:points?|areas?) of disagreements?|(?:key |main )?disagreements?|(?:key |main )?debates?)$/,
  ],
];

/**
 * Headings the user maps to a section (`{ "Where we disagreed": "disagreement" }`),
 * keyed by their normalised name; see `headingAliases()`.
 */
export type HeadingAliases = ReadonlyMap<string, Section>;

/** A `#`..`######` heading, or a bare line that is exactly a section name ("Questions:"). */
export function readHeading(line: string, aliases?: HeadingAliases): Heading | undefined {
  const atx = ATX_HEADING.exec(line);
  if (atx) {
    const text = (atx[1] ?? '').trim();
    const section = sectionOf(text, aliases);
    return section ? { kind: 'section', section, text } : { kind: 'unknown', text };
  }
  const bare = line.trim();
  // Only a short bare line can be a heading; a sentence that happens to say
  // "Questions" is prose. Bold-only lines (**Insights**) count as headings too.
  if (bare.length > 0 && bare.length <= 40) {
    const section = sectionOf(bare, aliases);
    if (section) return { kind: 'section', section, text: bare };
  }
  return undefined;
}

/** Heading text as compared: lower case, no emphasis, numbering or trailing colon. */
export function headingName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[*_`]/g, '')
    .replace(/^\d+[.)]\s*/, '')
    .replace(/\s*:\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Aliases as given by the user (heading text → section), compared like headings are. */
export function headingAliases(
  aliases: Readonly<Record<string, Section>> | undefined,
): HeadingAliases | undefined {
  if (!aliases || Object.keys(aliases).length === 0) return undefined;
  // A key may be written as the heading line itself ("### Where we disagreed").
  return new Map(
    Object.entries(aliases).map(([text, section]) => [
      headingName(text.replace(/^\s*#+\s*/, '')),
      section,
    ]),
  );
}

function sectionOf(text: string, aliases?: HeadingAliases): Section | undefined {
  const name = headingName(text);
  const alias = aliases?.get(name);
  if (alias) return alias;
  for (const [section, pattern] of SECTION_NAMES) if (pattern.test(name)) return section;
  return undefined;
}
