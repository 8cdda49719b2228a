/**
 * Write a Salon back out as a takeaways document (the inverse of parseSalon for
 * the parts that matter: identity, sections and item texts).
 *
 *   parseSalon(renderSalon(salon), { source }).items // same sections and texts
 */
import type { Salon, Section } from './schema.js';

const HEADINGS: Record<Section, string> = {
  insight: 'Insights',
  question: 'Questions',
  disagreement: 'Disagreements',
};

export function renderSalon(salon: Pick<Salon, 'date' | 'title' | 'items'>): string {
  const name = [salon.date, `Ai salon - ${salon.title}`].filter(Boolean).join(' ');
  const out = [`These are the takeaways from the conversation: ${name}.m4a`, ''];
  for (const section of Object.keys(HEADINGS) as Section[]) {
    const items = salon.items.filter((item) => item.section === section);
    if (items.length === 0) continue;
    out.push(`# ${HEADINGS[section]}`);
    for (const item of items) out.push(`- ${item.text}`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
