/**
 * Write the report files into a folder: `report.md`, `report.html`,
 * `report.json`. Every format is rendered before anything is written (a bad
 * input leaves the folder untouched), and each file goes to a temp name in the
 * same folder, is fsynced, then renamed over the old one, so readers never see
 * half a report. The temp name carries the pid and a random suffix so two
 * concurrent writers cannot collide; a failed write removes its temp file.
 * A report file of that name that salon-lens did not write (no report marker)
 * is refused unless `overwrite` is set, before anything is written.
 *
 *   const paths = await writeReport(data, { outDir: 'out', formats: ['html', 'md'] });
 *   paths.html // 'out/report.html'
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseOptions, SalonLensError } from '../errors.js';
import { isOwnReport } from '../parse/index.js';
import { renderHtml } from './render-html.js';
import { JSON_REPORT_GENERATOR, renderJson } from './render-json.js';
import { renderMarkdown } from './render-markdown.js';
import { type ReportData, ReportDataSchema } from './schema.js';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const WriteReportOptionsSchema = z.object({
  /** Folder for the files; created (with parents) when missing. */
  outDir: z.string().min(1),
  /** Which files to write. Default: all three. Duplicates are ignored. */
  formats: z
    .array(z.enum(REPORT_FORMATS))
    .min(1)
    .default([...REPORT_FORMATS]),
  /**
   * Replace report files salon-lens did not write (no report marker). Without it
   * such a file is refused and nothing is written. @default false
   */
  overwrite: z.boolean().default(false),
});
export type WriteReportOptions = z.input<typeof WriteReportOptionsSchema>;

/** Absolute path of each written file, keyed by format. */
export type ReportPaths = Partial<Record<ReportFormat, string>>;

const RENDERERS: Record<ReportFormat, (data: ReportData) => string> = {
  md: renderMarkdown,
  html: renderHtml,
  json: renderJson,
};

/**
 * `rendered`: texts the caller already rendered from this same `data` (the report
 * verb returns them too), so no format is rendered twice.
 */
export async function writeReport(
  data: ReportData,
  options: WriteReportOptions,
  rendered?: Partial<Record<ReportFormat, string>>,
): Promise<ReportPaths> {
  const { outDir, formats, overwrite } = parseOptions(
    WriteReportOptionsSchema,
    options,
    'writeReport options',
  );
  const wanted = REPORT_FORMATS.filter((format) => formats.includes(format));
  const texts = wanted.map((format) => ({
    format,
    text: rendered?.[format] ?? RENDERERS[format](data),
  }));

  const dir = path.resolve(outDir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Cannot create the report folder ${dir}; choose another --out.`,
      {
        details: { outDir: dir },
        cause,
      },
    );
  }
  // Every target is checked before the first is written: a refusal writes nothing.
  if (!overwrite) await refuseForeignReports(dir, wanted);
  const paths: ReportPaths = {};
  for (const { format, text } of texts) {
    const target = path.join(dir, `report.${format}`);
    await writeAtomic(target, text);
    paths[format] = target;
  }
  return paths;
}

/**
 * Throws INPUT_ERROR naming the first report file in `outDir` that salon-lens did
 * not write; the CLI calls it before any work so a refusal comes first, not last.
 */
export async function refuseForeignReports(
  outDir: string,
  formats: readonly ReportFormat[],
): Promise<void> {
  for (const format of formats) {
    await refuseForeignFile(path.join(path.resolve(outDir), `report.${format}`), format);
  }
}

/**
 * A report.md / .html / .json that salon-lens did not write is the user's own file:
 * refused instead of silently replaced. Ours carry a marker: the Markdown comment
 * REPORT_MARKER (or the heading reports had before it), the HTML generator meta
 * tag, the JSON "generator" field (or, before it, a file the report schema reads).
 */
async function refuseForeignFile(target: string, format: ReportFormat): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(target);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    bytes = Buffer.alloc(0); // unreadable, or a folder: not one of ours
  }
  if (REPORT_MARKS[format](bytes)) return;
  throw new SalonLensError(
    'INPUT_ERROR',
    `${target} exists and was not written by salon-lens (it has no salon-lens report marker); ` +
      'nothing was written. Move it, choose another --out, or add --overwrite to replace it.',
    { details: { path: target, option: 'overwrite' } },
  );
}

/** In every HTML report's head (render-html.ts). */
const HTML_MARK = '<meta name="generator" content="salon-lens">';

const REPORT_MARKS: Record<ReportFormat, (bytes: Buffer) => boolean> = {
  md: isOwnReport,
  html: (bytes) => bytes.subarray(0, 4096).toString('utf8').includes(HTML_MARK),
  json: (bytes) => {
    try {
      const json = JSON.parse(bytes.toString('utf8')) as { generator?: unknown };
      return json.generator === JSON_REPORT_GENERATOR || ReportDataSchema.safeParse(json).success;
    } catch {
      return false;
    }
  },
};

async function writeAtomic(target: string, text: string): Promise<void> {
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw new SalonLensError('INPUT_ERROR', `Cannot write ${target}: ${(cause as Error).message}`, {
      details: { path: target },
      cause,
    });
  }
}
