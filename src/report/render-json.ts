/**
 * The report as JSON for other apps: ReportData, validated on the way out (so a
 * consumer can trust `ReportDataSchema.parse` to accept it), led by
 * `"generator": "salon-lens"` (the marker that lets a later `report --out` replace
 * this file but not a user's own report.json; the schema strips it) and
 * pretty-printed with a trailing newline for diff-friendly files.
 *
 *   const json = renderJson(data);
 *   ReportDataSchema.parse(JSON.parse(json)); // round-trips
 */
import { parseOptions } from '../errors.js';
import { type ReportData, ReportDataSchema } from './schema.js';

/** The marker field's value (see write-report.ts). */
export const JSON_REPORT_GENERATOR = 'salon-lens';

export function renderJson(data: ReportData): string {
  const valid = parseOptions(ReportDataSchema, data, 'report data');
  return `${JSON.stringify({ generator: JSON_REPORT_GENERATOR, ...valid }, null, 2)}\n`;
}
