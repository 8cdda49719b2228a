// A small app built on salon-lens: ingest a folder of salon takeaways, print the
// questions that keep coming back across salons, and write a theme report.
//
//   node examples/app/recurring-questions.mjs <salons-folder> <work-folder>
import path from 'node:path';
import { isSalonLensError, SalonLens } from 'salon-lens';

const [salonsDir = 'examples/salons', workDir = '.salon-app'] = process.argv.slice(2);

try {
  const lens = await SalonLens.openOrCreate(path.join(workDir, 'store'));
  try {
    const added = await lens.add([salonsDir]);
    console.log(
      `ingested: ${added.added} new, ${added.updated} changed, ${added.unchanged} unchanged salons`,
    );

    const groups = await lens.similarQuestions();
    console.log(`recurring questions: ${groups.length} groups`);
    for (const group of groups.slice(0, 5)) {
      console.log(`- asked in ${group.salons.map((s) => s.date ?? s.id).join(', ')}:`);
      for (const q of group.questions) console.log(`    ${q.item.text}`);
    }

    const { files } = await lens.report({
      outDir: path.join(workDir, 'report'),
      formats: ['md', 'html'],
    });
    console.log(`report: ${files.html}`);
  } finally {
    await lens.close();
  }
} catch (error) {
  // Library errors carry a stable code and a message meant for people.
  console.error(isSalonLensError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
