/** `verifyLens` for a Postgres store: meta row, tables, row counts, dimension, index. */
import { SalonLensError } from '../../../errors.js';
import type { FileProblem, VerifyReport } from '../seam.js';
import { connectStore as connect } from './pg-connect.js';
import { plansIndexScan } from './pg-queries.js';
import { checkFormat, type Meta, type PgAddress, quoteIdent, readMeta } from './pg-sql.js';

/**
 * Check a Postgres store: schema version, tables, row counts against the salons'
 * item counts, embedder and vector dimension, and the HNSW index. Never throws for a
 * damaged store.
 */
export async function verifyPgStore(address: PgAddress): Promise<VerifyReport> {
  const dir = address.display;
  const client = await connect(address);
  const problems: FileProblem[] = [];
  const where = (table: string) => `${address.schema}.${table}`;
  try {
    let meta: Meta | undefined;
    try {
      meta = await readMeta(client, address.schema);
      if (meta) checkFormat(address, meta);
    } catch (error) {
      if (!(error instanceof SalonLensError)) throw error;
      return {
        dir,
        ok: false,
        problems: [
          { file: where('meta'), problem: String(error.details.problem ?? error.message) },
        ],
        advice:
          error.details.reason === 'newer-format'
            ? 'The store is intact but was written by a newer salon-lens; upgrade salon-lens to use it.'
            : rebuildAdvice(dir),
      };
    }
    if (!meta) {
      return {
        dir,
        ok: false,
        problems: [
          { file: where('meta'), problem: 'is missing: there is no lens store in this schema' },
        ],
        advice: `Create one with: salon-lens index <folders> --store '${dir}'`,
      };
    }
    const s = quoteIdent(address.schema);
    for (const table of ['salons', 'items', 'state']) {
      const t = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
        `${s}.${table}`,
      ]);
      if (!t.rows[0]?.t) problems.push({ file: where(table), problem: 'is missing' });
    }
    let itemCount: number | undefined;
    let salonCount: number | undefined;
    let indexScan: boolean | undefined;
    if (problems.length === 0) {
      const counts = await client.query<{ salon_id: string; expected: number; actual: string }>(
        `SELECT s.id AS salon_id, s.item_count AS expected, count(i.id) AS actual
         FROM ${s}.salons s LEFT JOIN ${s}.items i ON i.salon_id = s.id
         GROUP BY s.id, s.item_count`,
      );
      salonCount = counts.rows.length;
      itemCount = 0;
      for (const row of counts.rows) {
        itemCount += Number(row.actual);
        if (Number(row.actual) !== row.expected) {
          problems.push({
            file: where('items'),
            problem: `salon ${row.salon_id} has ${row.actual} items, its salons row says ${row.expected}`,
          });
        }
      }
      const dim = await client.query<{ dim: number }>(
        `SELECT atttypmod AS dim FROM pg_attribute
         WHERE attrelid = $1::regclass AND attname = 'embedding'`,
        [`${s}.items`],
      );
      if (dim.rows[0]?.dim !== meta.embedder.dim) {
        problems.push({
          file: where('items'),
          problem: `embedding column has dimension ${dim.rows[0]?.dim}, the embedder ${meta.embedder.id} has ${meta.embedder.dim}`,
        });
      }
      const index = await client.query(
        `SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND tablename = 'items'
         AND indexdef ILIKE '%USING hnsw%vector_cosine_ops%'`,
        [address.schema],
      );
      if (index.rowCount === 0) {
        problems.push({ file: where('items'), problem: 'has no HNSW cosine index on embedding' });
      } else {
        indexScan = await plansIndexScan(client, s);
        if (indexScan === false)
          problems.push({
            file: where('items'),
            problem: 'vector queries do not plan a scan of the HNSW index (EXPLAIN)',
          });
      }
    }
    return {
      dir,
      ok: problems.length === 0,
      generation: meta.generation,
      ...(itemCount !== undefined ? { itemCount } : {}),
      ...(salonCount !== undefined ? { salonCount } : {}),
      embedder: meta.embedder,
      ...(indexScan !== undefined ? { indexScan } : {}),
      problems,
      ...(problems.length > 0 ? { advice: rebuildAdvice(dir) } : {}),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function rebuildAdvice(dir: string): string {
  return (
    'The store is damaged (nothing was changed); your salon documents are the source of truth. ' +
    `Rebuild it from them: salon-lens index <folders with your salon documents> --store '${dir}' --force`
  );
}
