import pg from 'pg';
import { createEmbedder } from './src/embed/index.ts';
import { createLens } from './src/index/index.ts';
import { loadSalons } from './src/parse/index.ts';
import { startPgServer } from './test/helpers/pg-server.ts';
const s = await startPgServer();
const url = `${s.url}?schema=fts`;
const embedder = await createEmbedder({ backend: 'hashing', dim: 64 });
const { salons } = await loadSalons(['../shared/corpus']);
const file = await createLens('/tmp/fts-file-' + process.pid, { embedder });
const pgl = await createLens(url, { embedder });
await file.addSalons(salons); await pgl.addSalons(salons);
const c = new pg.Client({ connectionString: s.url }); await c.connect();
const queries = salons.flatMap((x) => x.items.filter((i) => i.section === 'question').map((i) => i.text));
let same = 0, ftsOverlap = 0, n = 0;
for (const q of queries) {
  const a = (await file.search(q, { k: 10, mode: 'lexical' })).map((h) => h.item.id);
  const b = (await pgl.search(q, { k: 10, mode: 'lexical' })).map((h) => h.item.id);
  const f = (await c.query(`SELECT id FROM fts.items, (SELECT replace(plainto_tsquery('english', $1)::text, ' & ', ' | ')::tsquery AS q) t WHERE to_tsvector('english', text) @@ q ORDER BY ts_rank(to_tsvector('english', text), q) DESC, id LIMIT 10`, [q])).rows.map((r) => r.id);
  if (JSON.stringify(a) === JSON.stringify(b)) same++;
  const set = new Set(a); ftsOverlap += a.length ? f.filter((id) => set.has(id)).length / a.length : 1; n++;
}
console.log(JSON.stringify({ queries: n, items: file.manifest.itemCount, bm25IdenticalTop10: same / n, ftsMeanTop10Overlap: ftsOverlap / n }));
await c.end(); await file.close(); await pgl.close(); await s.stop();
