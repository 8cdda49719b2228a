/**
 * USE-lite's SentencePiece (unigram) tokenizer over the shipped vocab.json:
 * NFKC, "▁" before the text and in place of every space, then the best-scoring
 * segmentation (Viterbi over log-probabilities), consecutive unknowns merged.
 *
 * It reproduces the tokenizer of `@energetic-ai/embeddings` (the tfjs path)
 * token for token, quirks included, because the vectors must not change:
 *   - a character no vocabulary piece starts with becomes the unknown id 0
 *     with score 0, and a position whose best score is exactly 0 counts as
 *     "unset" (any later candidate replaces it);
 *   - ties go to the candidate considered last (the one starting latest);
 *   - the back-trace steps back by the length of the *vocabulary* string of
 *     the chosen id (for id 0 that is "�", one character);
 *   - a duplicated vocabulary piece keeps the score and id of its last entry;
 *   - a null score (seven pieces with ':') adds as 0;
 *   - the first six ids (unknown, <s>, </s>, extras) are never produced by
 *     matching.
 * test/embed-use-lite.test.ts compares it with the tfjs tokenizer on every
 * corpus and example item when that package is installed.
 *
 *   const tokenizer = new UseLiteTokenizer(vocabulary);
 *   tokenizer.encode('Who owns the data?'); // [ids…]
 */

/** `[piece, log-probability]` rows, as in vocab.json (null counts as 0, as in tfjs' sum). */
export type Vocabulary = ReadonlyArray<readonly [string, number | null]>;

const SEPARATOR = '\u2581';
const RESERVED_IDS = 6;
const UNKNOWN_ID = 0;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Vocabulary id when a piece ends here, else -1. */
  id: number;
  score: number;
  /** Piece length in code points. */
  length: number;
}

const newNode = (length: number): TrieNode => ({ children: new Map(), id: -1, score: 0, length });

export class UseLiteTokenizer {
  readonly #root = newNode(0);
  readonly #pieceLength: Int32Array;

  constructor(vocabulary: Vocabulary) {
    this.#pieceLength = Int32Array.from(vocabulary, ([piece]) => piece.length);
    for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id] as readonly [string, number | null];
      let node = this.#root;
      for (const char of piece) {
        let child = node.children.get(char);
        if (!child) {
          child = newNode(node.length + 1);
          node.children.set(char, child);
        }
        node = child;
      }
      if (node !== this.#root) {
        node.id = id;
        node.score = score ?? 0;
      }
    }
  }

  /** Token ids of one text; `""` gives `[]`. */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const symbols = Array.from(SEPARATOR + normalized.replaceAll(' ', SEPARATOR));
    const n = symbols.length;
    // Candidates ending at each position, in increasing start order.
    const ending: { start: number; id: number; score: number }[][] = Array.from(
      { length: n + 1 },
      () => [],
    );
    for (let start = 0; start < n; start++) {
      let node = this.#root.children.get(symbols[start] as string);
      let found = false;
      for (let i = start; node; ) {
        if (node.id >= 0) {
          ending[start + node.length]?.push({ start, id: node.id, score: node.score });
          found = true;
        }
        i++;
        node = i < n ? node.children.get(symbols[i] as string) : undefined;
      }
      if (!found) ending[start + 1]?.push({ start, id: UNKNOWN_ID, score: 0 });
    }
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    for (let end = 0; end <= n; end++) {
      for (const { start, id, score } of ending[end] as {
        start: number;
        id: number;
        score: number;
      }[]) {
        const total = score + (best[start] as number);
        if (best[end] === 0 || total >= (best[end] as number)) {
          best[end] = total;
          words[end] = id;
        }
      }
    }
    const reversed: number[] = [];
    for (let at = n; at > 0; at -= this.#pieceLength[words[at] as number] as number) {
      reversed.push(words[at] as number);
    }
    const ids: number[] = [];
    let previousUnknown = false;
    for (const id of reversed) {
      if (!(previousUnknown && id === UNKNOWN_ID)) ids.push(id);
      previousUnknown = id === UNKNOWN_ID;
    }
    return ids.reverse();
  }
}
