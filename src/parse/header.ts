/**
 * Salon identity (date, title, id) from the transcript header line or, failing
 * that, from the file name.
 *
 *   readHeader('These are the takeaways from the conversation: 2023-11-25 Ai salon - decentralization.m4a')
 *   // → { date: '2023-11-25', title: 'decentralization' }
 */

export interface SalonIdentity {
  date?: string;
  title: string;
}

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
  return { date, title: clean.length > 0 ? clean : (date ?? 'untitled') };
}

/** Keep hyphens inside words ("open-source"), turn separator dashes into spaces. */
function isWordDash(s: string, i: number): boolean {
  return /\w/.test(s[i - 1] ?? '') && /\w/.test(s[i + 1] ?? '') && !/\s/.test(s[i - 1] ?? '');
}

function isRealDate(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/** `2023-11-25` + `Copyright & Creativity` → `2023-11-25-copyright-creativity`. */
export function salonSlug(identity: SalonIdentity): string {
  const words = identity.title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const parts = [identity.date, words].filter((p): p is string => !!p && p.length > 0);
  return parts.length > 0 ? parts.join('-') : 'salon';
}
