/**
 * Write the report files into a folder: `report.md`, `report.html`,
 * `report.json`. Every format is rendered before anything is written (a bad
 * input leaves the folder untouched), and each file goes to a temp name in the
 * same folder, is fsynced, then renamed over the old one, so readers never see
 * half a report. The temp name carries the pid and a random suffix so two
 * concurrent writers cannot collide; a failed write removes its temp file.
 *
 *   const paths = await writeReport(data, { outDir: 'out', formats: ['html', 'md'] });
 *   paths.html // 'out/report.html'
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseOptions, SalonLensError } from '../errors.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderMarkdown } from './render-markdown.js';
import type { ReportData } from './schema.js';

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
});
export type WriteReportOptions = z.input<typeof WriteReportOptionsSchema>;

/** Absolute path of each written file, keyed by format. */
export type ReportPaths = Partial<Record<ReportFormat, string>>;

const RENDERERS: Record<ReportFormat, (data: ReportData) => string> = {
  md: renderMarkdown,
  html: renderHtml,
  json: renderJson,
};

export async function writeReport(
  data: ReportData,
  options: WriteReportOptions,
): Promise<ReportPaths> {
  const { outDir, formats } = parseOptions(
    WriteReportOptionsSchema,
    options,
    'writeReport options',
  );
  const wanted = REPORT_FORMATS.filter((format) => formats.includes(format));
  const rendered = wanted.map((format) => ({ format, text: RENDERERS[format](data) }));

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
  const paths: ReportPaths = {};
  for (const { format, text } of rendered) {
    const target = path.join(dir, `report.${format}`);
    await writeAtomic(target, text);
    paths[format] = target;
  }
  return paths;
}

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
