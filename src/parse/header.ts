/**
 * Salon identity (date, title, id) from the transcript header line or, failing
 * that, from the file name.
 *
 *   readHeader('These are the takeaways from the conversation: 2023-11-25 Ai salon - decentralization.m4a')
 *   // → { date: '2023-11-25', title: 'decentralization' }
 */

import { sha256 } from '../util/hash.js';

export interface SalonIdentity {
  date?: string;
  title: string;
  /**
   * Set for a document without a header: the name of the folder it was read from,
   * so `a/notes.md` and `b/notes.md` get different ids.
   */
  folder?: string;
  /**
   * A `YYYY-MM-DD` in the name that is no calendar day (`2024-02-30`): the salon
   * would be undated and every --from/--to search would leave it out unseen, so
   * a recording header that holds one is refused (see parseSalon).
   */
  impossibleDate?: string;
}

/** Longest title part of an id, in characters; longer titles are cut and hashed. */
export const MAX_SLUG_TITLE = 100;

const HEADER = /takeaways\s+from\s+the\s+conversation\s*:\s*(.+)$/i;
const AUDIO_EXT = /\.(?:m4a|mp3|wav|ogg|flac|aac|mp4|webm|md|txt)$/i;
const DATED = /^(\d{4}-\d{2}-\d{2})(?:[\s_-]+(.*))?$/;
// "Ai salon - topic", "AI-salon: topic", "ai_salon_topic": the series name is not part of the title.
const SERIES_PREFIX = /^ai[\s_-]*salon\s*(?:[-–—:_]\s*|\s+)/i;
const DASHES = /[‐‑‒–—―]/g;

/** Returns the identity if `line` is a recording header, else undefined. */
export function readHeader(line: string): SalonIdentity | undefined {
  const match = HEADER.exec(line.trim());
  if (!match?.[1]) return undefined;
  return identityFromName(match[1]);
}

export function identityFromFileName(fileName: string): SalonIdentity {
  const base = fileName.replace(/^.*[\\/]/, '');
  return identityFromName(base.replace(/[_]+/g, ' '));
}

function identityFromName(raw: string): SalonIdentity {
  const name = raw.trim().replace(AUDIO_EXT, '').replace(DASHES, '-').trim();
  const dated = DATED.exec(name);
  const date = dated?.[1] && isRealDate(dated[1]) ? dated[1] : undefined;
  const rest = (date ? (dated?.[2] ?? '') : name).trim();
  const title = rest
    .replace(SERIES_PREFIX, '')
    .replace(/-/g, (m, i, s) => (isWordDash(s, i) ? m : ' '));
  const clean = title.replace(/\s+/g, ' ').trim();
  const identity: SalonIdentity = { date, title: clean.length > 0 ? clean : (date ?? 'untitled') };
  if (dated?.[1] && !date) identity.impossibleDate = dated[1];
  return identity;
}

/** Keep hyphens inside words ("open-source"), turn separator dashes into spaces. */
function isWordDash(s: string, i: number): boolean {
  return /\w/.test(s[i - 1] ?? '') && /\w/.test(s[i + 1] ?? '') && !/\s/.test(s[i - 1] ?? '');
}

/** `YYYY-MM-DD` naming a day that exists (not `2023-13-45` or `2023-02-30`). */
export function isRealDate(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/**
 * `2023-11-25` + `Copyright & Creativity` → `2023-11-25-copyright-creativity`.
 *
 * Ids of ASCII titles are exactly what they always were, so existing stores keep
 * theirs. A short hash of the title is appended only when the ASCII slug would
 * lose information and so could collide: any letter, digit or symbol outside
 * ASCII, accented Latin included (`Über KI` and `Uber KI` on one day would
 * otherwise share `…-uber-ki`, and indexing one would replace the other), another
 * script or emoji (`2023-11-25-3f9a2c1b` for `人工智能`), or a title cut at
 * MAX_SLUG_TITLE characters. Headerless documents also carry a hash
 * of their folder's name (see SalonIdentity.folder).
 */
export function salonSlug(identity: SalonIdentity): string {
  const ascii = identity.title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let words = ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // Letters, digits or symbols outside ASCII that the slug folds (é → e) or drops.
  const lost = NON_ASCII_MEANING.test(identity.title);
  const long = words.length > MAX_SLUG_TITLE;
  if (long)
    words = words
      .slice(0, MAX_SLUG_TITLE)
      .replace(/-[^-]*$/, '')
      .replace(/-+$/, '');
  const parts = [identity.date, words];
  if (lost || long) parts.push(shortHash(identity.title.normalize('NFC')));
  if (identity.folder !== undefined) parts.push(shortHash(`folder:${identity.folder}`));
  const id = parts.filter((p): p is string => !!p && p.length > 0).join('-');
  return id.length > 0 ? id : 'salon';
}

const NON_ASCII_MEANING = /(?![\p{ASCII}])[\p{L}\p{N}\p{M}\p{So}\p{Extended_Pictographic}]/u;

function shortHash(text: string): string {
  return sha256(text).slice(0, 8);
}
