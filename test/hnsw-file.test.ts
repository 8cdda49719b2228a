/**
 * checkHnswFile on graph files hnswlib-node wrote, then damaged in the part after
 * the level-0 block (the upper-level links, read as one block since round 4).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkHnswFile } from '../src/index/storage/file/hnsw-file.js';
import { seededRandom } from '../src/util/random.js';
import { tempStoreDir } from './helpers/index-store.js';

const DIM = 8;
const M = 4;
const COUNT = 400;
let file: string;
let bytes: Buffer;

beforeAll(async () => {
  const dir = await tempStoreDir('hnsw-file-');
  file = path.join(dir, 'graph.bin');
  const index = new hnswlib.HierarchicalNSW('cosine', DIM);
  index.initIndex(COUNT, M, 50, 7);
  const random = seededRandom(1);
  for (let i = 0; i < COUNT; i++)
    index.addPoint(
      Array.from({ length: DIM }, () => random() - 0.5),
      i,
    );
  await index.writeIndex(file);
  bytes = await readFile(file);
});

async function check(edit: (b: Buffer) => Buffer): Promise<string | undefined> {
  const damaged = path.join(path.dirname(file), `damaged-${Math.random()}.bin`);
  await writeFile(damaged, edit(Buffer.from(bytes)));
  return checkHnswFile(damaged, { dim: DIM, m: M, count: COUNT });
}

/** Offset of the first element's upper-level block (its length prefix), and that length. */
function firstUpperBlock(b: Buffer): { at: number; length: number } {
  const count = Number(b.readBigUInt64LE(16));
  const sizeData = Number(b.readBigUInt64LE(24));
  let at = 96 + count * sizeData;
  for (;;) {
    const length = b.readUInt32LE(at);
    if (length > 0) return { at, length };
    at += 4;
  }
}

describe('checkHnswFile', () => {
  it('passes the graph as written', async () => {
    expect(await checkHnswFile(file, { dim: DIM, m: M, count: COUNT })).toBeUndefined();
    // With 400 points and M = 4, some elements have upper levels: the damage below has a target.
    expect(firstUpperBlock(bytes).length).toBeGreaterThan(0);
  });

  it('finds bytes past the end, a cut-short tail and a bad block length', async () => {
    expect(await check((b) => Buffer.concat([b, Buffer.alloc(4)]))).toMatch(
      /4 bytes past the end of the graph/,
    );
    expect(await check((b) => b.subarray(0, b.length - 1))).toMatch(/cut short/);
    expect(
      await check((b) => {
        const { at } = firstUpperBlock(b);
        b.writeUInt32LE(3, at);
        return b;
      }),
    ).toMatch(/upper-level link block of 3 bytes/);
  });

  it('finds an upper-level neighbour that is not on that level', async () => {
    const problem = await check((b) => {
      const { at } = firstUpperBlock(b);
      // Give the first upper-level element's level 1 a single link, to the first
      // element that has no upper level (a zero length prefix).
      const count = Number(b.readBigUInt64LE(16));
      const sizeData = Number(b.readBigUInt64LE(24));
      let scan = 96 + count * sizeData;
      let element = 0;
      while (b.readUInt32LE(scan) !== 0) {
        scan += 4 + b.readUInt32LE(scan);
        element++;
      }
      b.writeUInt16LE(1, at + 4);
      b.writeUInt32LE(element, at + 8);
      return b;
    });
    expect(problem).toMatch(/is not on that level/);
  });
});
