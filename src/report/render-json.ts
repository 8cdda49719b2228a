/**
 * The report as JSON for other apps: exactly ReportData, validated on the way
 * out (so a consumer can trust `ReportDataSchema.parse` to accept it) and
 * pretty-printed with a trailing newline for diff-friendly files.
 *
 *   const json = renderJson(data);
 *   ReportDataSchema.parse(JSON.parse(json)); // round-trips
 */
import { parseOptions } from '../errors.js';
import { type ReportData, ReportDataSchema } from './schema.js';

export function renderJson(data: ReportData): string {
  return `${JSON.stringify(parseOptions(ReportDataSchema, data, 'report data'), null, 2)}\n`;
}
