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

/** A `#`..`######` heading, or a bare line that is exactly a section name ("Questions:"). */
export function readHeading(line: string): Heading | undefined {
  const atx = ATX_HEADING.exec(line);
  if (atx) {
    const text = (atx[1] ?? '').trim();
    const section = sectionOf(text);
    return section ? { kind: 'section', section, text } : { kind: 'unknown', text };
  }
  const bare = line.trim();
  // Only a short bare line can be a heading; a sentence that happens to say
  // "Questions" is prose. Bold-only lines (**Insights**) count as headings too.
  if (bare.length > 0 && bare.length <= 40) {
    const section = sectionOf(bare);
    if (section) return { kind: 'section', section, text: bare };
  }
  return undefined;
}

function sectionOf(text: string): Section | undefined {
  const name = text
    .toLowerCase()
    .replace(/[*_`]/g, '')
    .replace(/^\d+[.)]\s*/, '')
    .replace(/\s*:\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  for (const [section, pattern] of SECTION_NAMES) if (pattern.test(name)) return section;
  return undefined;
}
