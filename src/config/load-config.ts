/**
 * What users repeat, in one file: `salon-lens.config.json` in the working folder,
 * or a `"salon-lens"` key in its `package.json` (the config file wins when both exist).
 *
 *   {
 *     "store": ".lens",
 *     "embedder": "hashing",
 *     "guide": ["privacy", { "name": "open source", "description": "open weights, licences" }],
 *     "headingAliases": { "Where we disagreed": "disagreement" },
 *     "strict": true,
 *     "report": { "out": "site/report", "format": ["md", "html"], "k": 12, "title": "Our salons" }
 *   }
 *
 * Command-line flags win over the file, and `$SALON_LENS_STORE` over its `store`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GuideSchema } from '../cluster/index.js';
import { SalonLensError } from '../errors.js';
import { SectionSchema } from '../parse/index.js';
import { REPORT_FORMATS } from '../report/index.js';

export const CONFIG_FILE = 'salon-lens.config.json';
export const PACKAGE_KEY = 'salon-lens';

export const ConfigSchema = z.strictObject({
  /** Store folder or postgres:// URL (as `--store`). */
  store: z.string().min(1).optional(),
  /** Embedder for new stores (as `--embedder`), and its model options. */
  embedder: z.enum(['bundled', 'hashing', 'transformers']).optional(),
  model: z.string().min(1).optional(),
  modelDir: z.string().min(1).optional(),
  offline: z.boolean().optional(),
  /** Guided themes for `themes` and `report`: names or { name, description, keywords }. */
  guide: GuideSchema.optional(),
  /** Your own section headings: heading text → insight | question | disagreement. */
  headingAliases: z.record(z.string().min(1), SectionSchema).optional(),
  /** Any warning about the documents is an error (as `--strict`). */
  strict: z.boolean().optional(),
  /** `report` options (as its flags). */
  report: z
    .strictObject({
      out: z.string().min(1).optional(),
      format: z.array(z.enum(REPORT_FORMATS)).min(1).optional(),
      k: z.union([z.literal('auto'), z.number().int().min(2)]).optional(),
      title: z.string().min(1).optional(),
    })
    .optional(),
});
export type SalonLensConfig = z.output<typeof ConfigSchema>;

export interface LoadedConfig {
  config: SalonLensConfig;
  /** The file it came from, for messages; undefined when there is none. */
  file?: string;
}

/** The config of folder `dir` (default: the working folder); `{ config: {} }` when there is none. */
export async function loadConfig(dir = process.cwd()): Promise<LoadedConfig> {
  const own = path.join(dir, CONFIG_FILE);
  const ownText = await readIfExists(own);
  if (ownText !== undefined) return { config: checked(parseJson(ownText, own), own), file: own };
  const pkg = path.join(dir, 'package.json');
  const pkgText = await readIfExists(pkg);
  if (pkgText === undefined) return { config: {} };
  // Someone else's file: when it is not JSON it holds no salon-lens settings either.
  let manifest: Record<string, unknown> | null;
  try {
    manifest = JSON.parse(pkgText) as Record<string, unknown> | null;
  } catch {
    return { config: {} };
  }
  const section = manifest && typeof manifest === 'object' ? manifest[PACKAGE_KEY] : undefined;
  if (section === undefined) return { config: {} };
  const where = `${pkg} ("${PACKAGE_KEY}" key)`;
  return { config: checked(section, where), file: where };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new SalonLensError('INPUT_ERROR', `${file}: cannot read the config file (${code})`, {
      details: { file },
      cause: error,
    });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `${file}: not valid JSON (${(error as Error).message})`,
      {
        details: { file },
        cause: error,
      },
    );
  }
}

/** One error naming the file, the key as written and what was expected. */
function checked(value: unknown, where: string): SalonLensConfig {
  const result = ConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (known: ${Object.keys(ConfigSchema.shape).join(', ')})`
        : issue.message;
    return key ? `"${key}": ${message}` : message;
  });
  throw new SalonLensError('INPUT_ERROR', `${where}: ${problems.join('; ')}`, {
    details: { file: where, issues: result.error.issues },
  });
}
