/**
 * parseSearchOptions' fast path (plain `k`, `scoring`, `exact`) must give exactly
 * what the zod schema gives, and leave every other shape, valid or not, to the schema.
 */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../src/errors.js';
import {
  LENS_DEFAULTS,
  parseSearchOptions,
  SearchOptionsSchema,
  VectorSearchOptionsSchema,
} from '../src/index/options.js';

const viaSchema = (schema: typeof SearchOptionsSchema, options: unknown) => {
  try {
    return {
      // What parseSearchOptions returns when it uses the schema: mode defaults first.
      value: Object.assign(
        { mode: LENS_DEFAULTS.mode },
        parseOptions(schema, options, 'search options'),
      ),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
};
const viaFastPath = (schema: typeof SearchOptionsSchema, options: unknown) => {
  try {
    return { value: parseSearchOptions(options as never, schema, 'search options') };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('parseSearchOptions', () => {
  const cases: unknown[] = [
    undefined,
    {},
    { k: 3 },
    { k: undefined },
    { scoring: 'cosine' },
    { k: 7, scoring: 'csls', exact: true },
    { exact: false, k: 1 },
    { k: 0 },
    { k: 2.5 },
    { k: '3' },
    { scoring: 'bm25' },
    { scoring: 'nope' },
    { exact: 'yes' },
    { k: 3, section: 'question' },
    { k: 3, mode: 'lexical' },
    { k: 3, colour: 'red' },
    { salon: 'a', dateFrom: '2024-01-01' },
  ];
  for (const schema of [SearchOptionsSchema, VectorSearchOptionsSchema] as const)
    it.each(cases.map((c) => [JSON.stringify(c) ?? 'undefined', c]))(
      'gives what the schema gives for %s',
      (_, options) => {
        expect(viaFastPath(schema as typeof SearchOptionsSchema, options)).toEqual(
          viaSchema(schema as typeof SearchOptionsSchema, options ?? {}),
        );
      },
    );
});
