import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Files that each take a minute or so (npm installs, kill-point sweeps, dozens of CLI
 * runs). Sizes and speed are not tested here (they are in bench/), so nothing is on
 * this list for the size of its data. They start first, so that on two workers the short files fill in around
 * them instead of one of them running alone at the end. Vitest's own order (its
 * cached durations, else file size) decides the rest; a clean clone has no cache.
 */
const SLOW_FIRST = [
  'test/index-pg-safety.test.ts',
  'test/package.test.ts',
  'test/cli-newcomer.test.ts',
  'test/index-crash-points.test.ts',
  'test/index-pg-cli.test.ts',
  'test/input-safety.test.ts',
  'test/input-limits.test.ts',
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    // Array sort is stable: unlisted files keep the base sequencer's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Real models and native indexes are heavy; two cores here, so keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
    // One module graph per worker instead of one per file: each file re-importing the
    // library and its dependencies cost about a second of CPU (measured: 15 small
    // files took 35 s of CPU isolated, 15 s not). Nothing in src/ keeps per-test
    // state at module level (only lazily loaded NLP models and the fault-point
    // counter, which is read in child processes), and tests clean up in afterAll.
    isolate: false,
    sequence: { sequencer: SlowFirstSequencer },
    // The CLI keeps an embedding cache in ~/.cache by default; tests that spawn it must
    // not answer from vectors an earlier test (or run) left there, nor race each other
    // on it. Tests of the cache name their own folder.
    env: { SALON_LENS_EMBED_CACHE: 'off' },
  },
});
