/**
 * Cross-salon themes (salon-topic removal), Ward linkage and guided themes on hand-made
 * vectors whose right answer is known; the --guide / --guide-file readers; the CLI's
 * error for a bad guide.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { guideFromFile, guideFromList } from '../src/cli/guide-flags.js';
import { averageLinkage, cutTree } from '../src/cluster/average-linkage.js';
import { assignClustersToGuides } from '../src/cluster/guided.js';
import { clusterThemes, type ThemeInput } from '../src/cluster/index.js';
import { cosineMatrix } from '../src/cluster/vectors.js';
import { wardLinkage } from '../src/cluster/ward-linkage.js';
import { isSalonLensError } from '../src/errors.js';
import { errorOf, groupOf, syntheticInput } from './helpers/cluster-fixtures.js';
import { cliPath } from './helpers/shared-data.js';

const DIM = 12;

/** Unit vector along `axis`. */
function axis(index: number): Float32Array {
  const v = new Float32Array(DIM);
  v[index] = 1;
  return v;
}

/**
 * Three salons, each mostly about its own group (A, B or C) but with some items of the
 * others, and each with a strong "topic of the evening" on an axis of its own (6, 7, 8).
 */
function salonTopicInput(strength: number): ThemeInput {
  const input = syntheticInput(
    [
      { salon: 's1', date: '2024-01-01', groups: { A: 8, B: 4, C: 4 } },
      { salon: 's2', date: '2024-02-01', groups: { A: 4, B: 8, C: 4 } },
      { salon: 's3', date: '2024-03-01', groups: { A: 4, B: 4, C: 8 } },
    ],
    3,
    0.1,
  );
  const topicAxis: Record<string, number> = { s1: 6, s2: 7, s3: 8 };
  const vectors = input.vectors.map((v, i) => {
    const out = Float32Array.from(v);
    const a = topicAxis[input.items[i]?.salonId ?? ''] as number;
    out[a] = (out[a] as number) + strength;
    const norm = Math.hypot(...out);
    return out.map((x) => x / norm);
  });
  return { ...input, vectors };
}

describe('#clusterThemes across salons', () => {
  it('finds the groups across salons although each salon has a strong topic of its own', () => {
    const input = salonTopicInput(1.1);
    const group = groupOf(input);
    const purity = (result: { themes: { itemIds: string[] }[] }): string[] =>
      result.themes.map((t) => [...new Set(t.itemIds.map((id) => group.get(id)))].join(''));
    const kept = clusterThemes(input, { k: 3, salonCentering: 0 }).result;
    // With the salon means kept, the salons are what separates items most.
    expect(purity(kept).some((groups) => groups.length > 1)).toBe(true);
    const auto = clusterThemes(input, { k: 3 }).result;
    expect(purity(auto).sort()).toEqual(['A', 'B', 'C']);
    for (const theme of auto.themes) expect(theme.salons).toHaveLength(3);
    // The estimated fraction is large here: no other salon shares a salon's topic axis.
    for (const fraction of Object.values(auto.salonCentering ?? {}))
      expect(fraction).toBeGreaterThan(0.5);
  });

  it('removes less from salons whose items have cousins elsewhere; fixed or single salons', () => {
    const none = clusterThemes(salonTopicInput(0), { k: 3 }).result.salonCentering ?? {};
    const strong = clusterThemes(salonTopicInput(1.1), { k: 3 }).result.salonCentering ?? {};
    expect(Object.keys(none)).toEqual(['s1', 's2', 's3']);
    // Without a topic of its own, only the uneven theme mix is in each salon mean.
    for (const salon of Object.keys(none))
      expect(none[salon] as number).toBeLessThan((strong[salon] as number) - 0.2);
    // A fixed fraction is reported as given; one salon alone has nothing to compare with.
    const fixed = clusterThemes(salonTopicInput(0), { k: 3, salonCentering: 0.3 }).result;
    expect(Object.values(fixed.salonCentering ?? {})).toEqual([0.3, 0.3, 0.3]);
    const one = syntheticInput([{ salon: 'only', groups: { A: 5, B: 5 } }]);
    expect(clusterThemes(one, { k: 2 }).result.salonCentering).toEqual({ only: 0 });
  });
});

describe('#wardLinkage', () => {
  it('merges the closest pair first and cuts into the generated groups', () => {
    const input = syntheticInput([{ salon: 's1', groups: { A: 5, B: 5, C: 5 } }], 4, 0.1);
    const sims = cosineMatrix(input.vectors);
    const tree = wardLinkage(sims, input.vectors.length);
    expect(tree.merges).toHaveLength(input.vectors.length - 1);
    // Heights never decrease (similarity = 1 - height / 2 never increases).
    tree.merges.forEach((m, i) => {
      if (i > 0) expect(m.similarity).toBeLessThanOrEqual(tree.merges[i - 1]?.similarity as number);
    });
    const labels = cutTree(tree, 3);
    const group = groupOf(input);
    const byLabel = new Map<number, Set<string>>();
    labels.forEach((l, i) => {
      const set = byLabel.get(l) ?? new Set<string>();
      set.add(group.get(input.items[i]?.id as string) as string);
      byLabel.set(l, set);
    });
    expect([...byLabel.values()].map((s) => [...s].join('')).sort()).toEqual(['A', 'B', 'C']);
    // Same answer as average linkage on such clean groups, and deterministic.
    expect(labels).toEqual(cutTree(averageLinkage(sims, input.vectors.length), 3));
    expect(wardLinkage(sims, input.vectors.length)).toEqual(tree);
  });
});

describe('#clusterThemes with a guide', () => {
  const input = syntheticInput([
    { salon: 's1', date: '2024-01-01', groups: { A: 6, B: 6, C: 6 } },
    { salon: 's2', date: '2024-02-01', groups: { A: 6, B: 6, C: 6 } },
  ]);
  const guide = [
    { name: 'Copyright' },
    { name: 'privacy', description: 'surveillance and personal data' },
    { name: 'Healthcare', keywords: ['hospitals', 'patients'] },
  ];
  // Guide vectors as an embedder would place them: near the groups they name (D is absent).
  const guideVectors = [axis(0), axis(1), axis(3)];

  it('keeps the names as labels with stable ids, and discovers what no guide names', () => {
    const { result } = clusterThemes({ ...input, guideVectors }, { guide, k: 3 });
    const group = groupOf(input);
    const byId = new Map(result.themes.map((t) => [t.id, t]));
    expect(result.themes.map((t) => t.id).slice(0, 3)).toEqual([
      'g-copyright',
      'g-privacy',
      'g-healthcare',
    ]);
    const copyright = byId.get('g-copyright');
    expect(copyright).toMatchObject({ kind: 'guided', label: 'Copyright', title: 'Copyright' });
    expect(copyright?.guide?.name).toBe('Copyright');
    expect(new Set(copyright?.itemIds.map((id) => group.get(id)))).toEqual(new Set(['A']));
    expect(byId.get('g-privacy')?.guide?.description).toBe('surveillance and personal data');
    expect(new Set(byId.get('g-privacy')?.itemIds.map((id) => group.get(id)))).toEqual(
      new Set(['B']),
    );
    // No group is about healthcare: the guided theme is there, empty, and says so.
    expect(byId.get('g-healthcare')).toMatchObject({ kind: 'guided', size: 0, itemIds: [] });
    const discovered = result.themes.filter((t) => t.kind === 'discovered');
    expect(discovered).toHaveLength(1);
    expect(new Set(discovered[0]?.itemIds.map((id) => group.get(id)))).toEqual(new Set(['C']));
    expect(discovered[0]?.id).toMatch(/^t\d+$/);
    expect(Object.values(result.assignments)).not.toContain('g-healthcare');
  });

  it('is deterministic, and a guided run keeps the id memory of unguided runs', () => {
    const plain = clusterThemes(input, { k: 3 });
    const guided = clusterThemes({ ...input, guideVectors }, { guide, k: 3 }, plain.state);
    expect(clusterThemes({ ...input, guideVectors }, { guide, k: 3 }, plain.state)).toEqual(guided);
    expect(guided.state.themes).toEqual(plain.state.themes);
    const again = clusterThemes(input, { k: 3 }, guided.state).result;
    expect(again.themes.map((t) => t.id)).toEqual(plain.result.themes.map((t) => t.id));
  });

  it('rejects an empty guide, duplicate names and missing guide vectors, naming the option', () => {
    const empty = errorOf(() => clusterThemes({ ...input, guideVectors: [] }, { guide: [] }));
    expect(isSalonLensError(empty, 'INVALID_OPTIONS')).toBe(true);
    expect((empty as Error).message).toMatch(/guide.*at least one/);
    const blank = errorOf(() => clusterThemes(input, { guide: [{ name: '  ' }] }));
    expect((blank as Error).message).toMatch(/guide\.0\.name/);
    const twice = errorOf(() =>
      clusterThemes(
        { ...input, guideVectors: [axis(0), axis(0)] },
        { guide: [{ name: 'Privacy' }, { name: 'privacy' }] },
      ),
    );
    expect((twice as Error).message).toMatch(/duplicate theme name "privacy"/);
    const noVectors = errorOf(() => clusterThemes(input, { guide }));
    expect(isSalonLensError(noVectors, 'INVALID_OPTIONS')).toBe(true);
    expect((noVectors as Error).message).toMatch(/guideVectors/);
  });
});

describe('#assignClustersToGuides', () => {
  // 8 dims. Guide 0 is a hub: it sits at cosine 0.5 to every cluster. Guide 1 names one
  // cluster only, at cosine 0.45 to it; by plain cosine the hub still wins that cluster.
  const unit = (entries: Array<[number, number]>): Float64Array => {
    const v = new Float64Array(8);
    for (const [d, x] of entries) v[d] = x;
    return v;
  };
  const hub = unit([[0, 1]]);
  const specific = unit([[1, 1]]);
  const companies = [2, 3, 4, 5, 6].map((d) =>
    unit([
      [0, 0.5],
      [d, Math.sqrt(0.75)],
    ]),
  );
  const target = unit([
    [0, 0.5],
    [1, 0.45],
    [7, Math.sqrt(1 - 0.25 - 0.2025)],
  ]);
  const centroids = [...companies, target];

  it('makes a guide close to every cluster beat the runner-up by more (CSLS hubness)', () => {
    const csls = assignClustersToGuides(centroids, [hub, specific], 0.1);
    // The hub keeps the clusters only it names; the cluster the specific name fits goes to it.
    expect(csls.map((p) => p.guide)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(csls[5]?.score).toBeCloseTo(0.45, 10);
    // Plain cosine: 0.5 vs 0.45 is within the margin, so that cluster stays unclaimed.
    const plain = assignClustersToGuides(centroids, [hub, specific], 0.1, 'cosine');
    expect(plain.map((p) => p.guide)).toEqual([0, 0, 0, 0, 0, -1]);
    expect(plain[5]?.best).toBe(0);
  });

  it('leaves a single guide undiscounted: there is no other guide to be a hub against', () => {
    const one = assignClustersToGuides(centroids, [hub], 0.1);
    expect(one.map((p) => p.guide)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(one.map((p) => p.margin)).toEqual(centroids.map(() => expect.closeTo(0.5, 10)));
  });
});

describe('--guide and --guide-file', () => {
  it('reads comma-separated names, and refuses an empty list naming the flag', () => {
    expect(guideFromList(' centralization, copyright ,privacy')).toEqual([
      { name: 'centralization' },
      { name: 'copyright' },
      { name: 'privacy' },
    ]);
    for (const bad of ['', ' , ,']) {
      const error = errorOf(() => guideFromList(bad));
      expect(isSalonLensError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(/^--guide: expected at least one guided theme/);
    }
  });

  it('reads a text file (name[: description], comments) and a JSON file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'salon-lens-guide-'));
    const txt = path.join(dir, 'themes.txt');
    await writeFile(txt, '# my themes\ncopyright: artists, style, training data\n\nprivacy\r\n');
    expect(await guideFromFile(txt)).toEqual([
      { name: 'copyright', description: 'artists, style, training data' },
      { name: 'privacy' },
    ]);
    const json = path.join(dir, 'themes.json');
    await writeFile(json, JSON.stringify(['labor', { name: 'energy', keywords: ['compute'] }]));
    expect(await guideFromFile(json)).toEqual([
      { name: 'labor' },
      { name: 'energy', keywords: ['compute'] },
    ]);
    const cases: Array<[string, string, RegExp]> = [
      ['empty.txt', '# nothing\n\n', /empty\.txt: expected at least one guided theme/],
      ['bad.json', '{"name": "x"}', /bad\.json: expected a JSON array/],
      ['broken.json', '[', /broken\.json: expected JSON/],
      ['typo.json', '[{"nam": "x"}]', /typo\.json: .*entry 1/],
    ];
    for (const [name, text, message] of cases) {
      await writeFile(path.join(dir, name), text);
      await expect(guideFromFile(path.join(dir, name))).rejects.toThrow(message);
    }
    await expect(guideFromFile(path.join(dir, 'missing.txt'))).rejects.toThrow(
      /--guide-file .*missing\.txt: cannot read the file \(ENOENT\)/,
    );
  });

  it('makes `salon-lens themes` exit non-zero naming the bad guide (built CLI)', async (ctx) => {
    const { existsSync } = await import('node:fs');
    if (!existsSync(cliPath)) return ctx.skip();
    const run = promisify(execFile);
    const failure = await run(
      process.execPath,
      [cliPath, 'themes', '--store', path.join(tmpdir(), 'no-such-store'), '--guide', ' , '],
      { encoding: 'utf8' },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toMatch(/--guide: expected at least one/);
  });
});
