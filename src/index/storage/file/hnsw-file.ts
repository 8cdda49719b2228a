/**
 * Structural check of an hnswlib graph file before the native library reads it.
 *
 * hnswlib trusts its input: a neighbour id past the end, a link count above the
 * degree or an entry point on a level it does not have makes `searchKnn` read
 * outside its buffers (a segfault, exit 139, no message). A checksum does not
 * help against a file whose checksums were recomputed, or one that was cut short
 * by a full disk after `writeIndex` returned. So every graph file is walked here
 * first, with the layout of hnswlib 0.8 (`HierarchicalNSW::saveIndex`):
 *
 *   header (96 bytes, little-endian): offsetLevel0 u64, maxElements u64, count u64,
 *     sizeDataPerElement u64, labelOffset u64, offsetData u64, maxLevel i32,
 *     entryPoint u32, maxM u64, maxM0 u64, M u64, mult f64, efConstruction u64
 *   level 0: count × sizeDataPerElement bytes; per element a u32 link header (count in
 *     the low 16 bits, deleted flag in byte 2), maxM0 u32 neighbour ids, dim float32, label u64
 *   upper levels: per element a u32 byte length (a multiple of 4 + 4·maxM: one link
 *     list per level above 0), then the lists
 *
 *   const problem = await checkHnswFile(file, { dim: 512, m: 16, count: 1200 });
 *   if (problem) throw corrupt(dir, file, problem);
 */
import { open } from 'node:fs/promises';

const HEADER_BYTES = 96;
const CHUNK = 1 << 20;

export interface HnswExpectation {
  dim: number;
  /** Graph degree the store was built with (manifest `hnsw.m`). */
  m: number;
  /** Points the graph must hold (the manifest's labelCount). */
  count: number;
}

interface Header {
  offsetLevel0: number;
  maxElements: number;
  count: number;
  sizeDataPerElement: number;
  labelOffset: number;
  offsetData: number;
  maxLevel: number;
  entryPoint: number;
  maxM: number;
  maxM0: number;
  m: number;
  mult: number;
}

/** Why `file` is not a complete, well-formed graph of the expected shape, or undefined if it is. */
export async function checkHnswFile(
  file: string,
  expected: HnswExpectation,
): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size < HEADER_BYTES) return `is ${size} bytes, shorter than an hnswlib header`;
    const head = Buffer.alloc(HEADER_BYTES);
    await handle.read(head, 0, HEADER_BYTES, 0);
    const h = readHeader(head);
    const problem = checkHeader(h, expected, size);
    if (problem) return problem;

    // Level 0: link counts within the degree, neighbour ids within the graph, labels unique.
    const seenLabel = new Uint8Array(h.count);
    const perChunk = Math.max(1, Math.floor(CHUNK / h.sizeDataPerElement));
    const buffer = Buffer.alloc(perChunk * h.sizeDataPerElement);
    for (let first = 0; first < h.count; first += perChunk) {
      const n = Math.min(perChunk, h.count - first);
      const bytes = n * h.sizeDataPerElement;
      await readFully(handle, buffer, bytes, HEADER_BYTES + first * h.sizeDataPerElement);
      for (let k = 0; k < n; k++) {
        const at = k * h.sizeDataPerElement;
        const bad = checkLinks(buffer, at, h.maxM0, h.count);
        if (bad) return `graph element ${first + k}, level 0: ${bad}`;
        const label = Number(buffer.readBigUInt64LE(at + h.labelOffset));
        if (label >= h.count || seenLabel[label]) {
          return `graph element ${first + k} has label ${label} (out of range or repeated)`;
        }
        seenLabel[label] = 1;
      }
    }

    // Upper levels: every element's length prefix and lists, read as one block (a
    // read per element was 200k awaited reads, most of a 36 s open at 200k items),
    // then check that each neighbour on level l exists on level l.
    const levels = new Uint8Array(h.count);
    const upper: Array<{ element: number; lists: Buffer }> = [];
    const perLevel = 4 + 4 * h.maxM;
    const start = HEADER_BYTES + h.count * h.sizeDataPerElement;
    const tail = Buffer.alloc(size - start);
    await readFully(handle, tail, tail.length, start);
    let at = 0;
    for (let i = 0; i < h.count; i++) {
      if (at + 4 > tail.length)
        return `ends inside the upper-level links of element ${i} (cut short)`;
      const length = tail.readUInt32LE(at);
      at += 4;
      if (length === 0) continue;
      if (length % perLevel !== 0 || length / perLevel > 64) {
        return `graph element ${i} has an upper-level link block of ${length} bytes`;
      }
      if (at + length > tail.length)
        return `ends inside the upper-level links of element ${i} (cut short)`;
      levels[i] = length / perLevel;
      upper.push({ element: i, lists: tail.subarray(at, at + length) });
      at += length;
    }
    if (at !== tail.length) return `has ${tail.length - at} bytes past the end of the graph`;
    for (const { element, lists } of upper) {
      for (let level = 1; level <= (levels[element] as number); level++) {
        const offset = (level - 1) * perLevel;
        const bad = checkLinks(lists, offset, h.maxM, h.count);
        if (bad) return `graph element ${element}, level ${level}: ${bad}`;
        const links = lists.readUInt16LE(offset);
        for (let j = 0; j < links; j++) {
          const neighbour = lists.readUInt32LE(offset + 4 + 4 * j);
          if ((levels[neighbour] as number) < level) {
            return `graph element ${element}, level ${level}: neighbour ${neighbour} is not on that level`;
          }
        }
      }
    }
    if (h.count > 0 && (levels[h.entryPoint] as number) < h.maxLevel) {
      return `the graph's entry point ${h.entryPoint} is not on its top level ${h.maxLevel}`;
    }
    let top = 0;
    for (const level of levels) top = Math.max(top, level);
    if (h.count > 0 && top !== h.maxLevel) {
      return `the graph's top level ${h.maxLevel} does not match its elements`;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

function readHeader(b: Buffer): Header {
  const u64 = (at: number) => Number(b.readBigUInt64LE(at));
  return {
    offsetLevel0: u64(0),
    maxElements: u64(8),
    count: u64(16),
    sizeDataPerElement: u64(24),
    labelOffset: u64(32),
    offsetData: u64(40),
    maxLevel: b.readInt32LE(48),
    entryPoint: b.readUInt32LE(52),
    maxM: u64(56),
    maxM0: u64(64),
    m: u64(72),
    mult: b.readDoubleLE(80),
  };
}

/** Header fields against what the store expects and the file's size. */
function checkHeader(h: Header, e: HnswExpectation, size: number): string | undefined {
  const linksLevel0 = 4 + 4 * h.maxM0;
  const sizes = {
    offsetLevel0: 0,
    m: e.m,
    maxM: e.m,
    maxM0: 2 * e.m,
    offsetData: 4 + 8 * e.m,
    labelOffset: linksLevel0 + 4 * e.dim,
    sizeDataPerElement: linksLevel0 + 4 * e.dim + 8,
    count: e.count,
  } as const;
  for (const [field, want] of Object.entries(sizes)) {
    const got = h[field as keyof typeof sizes];
    if (got !== want) return `has graph header ${field} = ${got}, expected ${want}`;
  }
  // Capacity is sized to what the store needs; a huge value would make hnswlib allocate it.
  if (h.maxElements < h.count || h.maxElements > Math.max(4096, 4 * h.count)) {
    return `has graph header maxElements = ${h.maxElements} for ${h.count} points`;
  }
  if (!Number.isFinite(h.mult) || h.mult <= 0)
    return 'has a graph header level factor that is not a positive number';
  const empty = h.count === 0;
  if (empty ? h.maxLevel !== -1 : h.maxLevel < 0 || h.maxLevel > 64) {
    return `has graph header maxLevel = ${h.maxLevel}`;
  }
  if (!empty && h.entryPoint >= h.count) {
    return `has graph entry point ${h.entryPoint}, past its ${h.count} points`;
  }
  const minimum = HEADER_BYTES + h.count * (h.sizeDataPerElement + 4);
  if (size < minimum)
    return `is ${size} bytes, shorter than the ${minimum} its header implies (cut short)`;
  return undefined;
}

/** A link list at `at`: count ≤ `max`, every id < `count`. */
function checkLinks(b: Buffer, at: number, max: number, count: number): string | undefined {
  const links = b.readUInt16LE(at);
  if (links > max) return `${links} links, more than the degree ${max}`;
  for (let j = 0; j < links; j++) {
    const id = b.readUInt32LE(at + 4 + 4 * j);
    if (id >= count) return `neighbour ${id} past the graph's ${count} points`;
  }
  return undefined;
}

async function readFully(
  handle: Awaited<ReturnType<typeof open>>,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Error('unexpected end of file');
    done += bytesRead;
  }
}
