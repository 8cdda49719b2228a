/**
 * Tell a takeaway from a leaked prompt instruction.
 *
 * Summarising assistants sometimes echo the instructions they were given
 * ("Draw connections between disparate ideas mentioned in the conversation",
 * "* Each insight should be 2-4 sentences"). Those are addressed to the writer,
 * not reports of the conversation, and have two marks together:
 *   1. they are directives, not sentences: no terminal punctuation
 *      (every takeaway is a full sentence or a question); and
 *   2. they open with a bare verb (imperative: "Identify…", "Do not…"), or they
 *      talk about the summary's own format ("each insight", "2-4 sentences").
 * Requiring both keeps real items such as "Compute thresholds are attractive…"
 * (ends with a period) and terse noun-phrase bullets ("Privacy of students")
 * (no imperative, no format talk), whatever bullet character the document uses.
 *
 *   isInstruction('Identify assumptions or biases revealed in how topics are framed') // true
 *   isInstruction('Open models act as a check on providers.') // false
 */
import { createRequire } from 'node:module';

// compromise costs ~0.4 s to load; most documents never need it (every real
// takeaway ends with punctuation), so it is required on first use only.
type Nlp = typeof import('compromise').default;
let nlp: Nlp | undefined;
const loadNlp = (): Nlp => {
  nlp ??= createRequire(import.meta.url)('compromise') as Nlp;
  return nlp;
};

const ENDS_AS_SENTENCE = /[.?!…]["'”’»)\]]*\s*$/u;
const NEGATIVE_DIRECTIVE = /^(?:do not|don't|don’t|never|avoid)\b/i;
const FORMAT_TALK =
  /\b(?:each|every)\s+(?:insight|question|disagreement|takeaway|bullet|point|item|summary)s?\b|\b\d+\s*[-–]\s*\d+\s+(?:sentences?|words?|bullets?)\b/i;
// The tagger only needs the opening words; tagging a whole 1 MB line is waste.
const OPENING_WORDS = 8;

export function isInstruction(text: string): boolean {
  if (ENDS_AS_SENTENCE.test(text)) return false;
  return FORMAT_TALK.test(text) || opensWithImperative(text);
}

function opensWithImperative(text: string): boolean {
  if (NEGATIVE_DIRECTIVE.test(text)) return true;
  const opening = text.split(/\s+/, OPENING_WORDS).join(' ');
  const first = loadNlp()(opening).terms().first().json()[0] as
    | { terms?: Array<{ tags?: string[] }> }
    | undefined;
  const tags = new Set(first?.terms?.[0]?.tags ?? []);
  return (
    tags.has('Verb') &&
    (tags.has('Imperative') || tags.has('Infinitive')) &&
    !tags.has('Gerund') &&
    !tags.has('PastTense') &&
    !tags.has('Modal') &&
    !tags.has('Auxiliary')
  );
}
