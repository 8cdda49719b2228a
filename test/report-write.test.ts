import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSalonLensError } from '../src/errors.js';
import { ReportDataSchema, renderHtml, renderMarkdown, writeReport } from '../src/report/index.js';
import { makeReportData } from './helpers/report-fixture.js';

describe('writeReport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'salon-lens-report-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the three files (default), replacing old ones, and leaves no temp files', async () => {
    const outDir = path.join(dir, 'nested', 'out');
    await writeReport(makeReportData(), { outDir, formats: ['md'] });
    await writeFile(path.join(outDir, 'report.html'), 'stale');
    // Not salon-lens's (no marker): refused, and nothing is written.
    await expect(writeReport(makeReportData(), { outDir })).rejects.toThrow(
      /report\.html exists and was not written by salon-lens/,
    );
    expect((await readdir(outDir)).sort()).toEqual(['report.html', 'report.md']);
    expect(await readFile(path.join(outDir, 'report.html'), 'utf8')).toBe('stale');
    const paths = await writeReport(makeReportData(), { outDir, overwrite: true });
    expect(paths).toEqual({
      md: path.join(outDir, 'report.md'),
      html: path.join(outDir, 'report.html'),
      json: path.join(outDir, 'report.json'),
    });
    expect((await readdir(outDir)).sort()).toEqual(['report.html', 'report.json', 'report.md']);
    expect(await readFile(path.join(outDir, 'report.html'), 'utf8')).toBe(
      renderHtml(makeReportData()),
    );
    expect(await readFile(path.join(outDir, 'report.md'), 'utf8')).toBe(
      renderMarkdown(makeReportData()),
    );
    const json = JSON.parse(await readFile(path.join(outDir, 'report.json'), 'utf8'));
    expect(ReportDataSchema.parse(json)).toEqual(makeReportData());
  });

  it('writes only the formats asked for', async () => {
    const paths = await writeReport(makeReportData(), { outDir: dir, formats: ['json', 'json'] });
    expect(Object.keys(paths)).toEqual(['json']);
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  it('writes nothing when the data is invalid, and names bad options', async () => {
    const bad = { ...makeReportData(), items: [] };
    await expect(writeReport(bad, { outDir: dir })).rejects.toThrow(/unknown item/);
    expect(await readdir(dir)).toEqual([]);

    let error: unknown;
    try {
      // @ts-expect-error: 'pdf' is not a format
      await writeReport(makeReportData(), { outDir: dir, formats: ['pdf'] });
    } catch (e) {
      error = e;
    }
    expect(isSalonLensError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('writeReport options.formats.0');
  });

  it('reports an unwritable target and cleans its temp file', async () => {
    // A non-empty folder where report.md should go makes the final rename fail.
    await mkdir(path.join(dir, 'report.md', 'blocker'), { recursive: true });
    let error: unknown;
    try {
      await writeReport(makeReportData(), { outDir: dir, formats: ['md'] });
    } catch (e) {
      error = e;
    }
    expect(isSalonLensError(error, 'INPUT_ERROR')).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['report.md']);
  });
});
