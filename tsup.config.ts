import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// Two builds: the library (ESM + CJS with types) and the CLI (ESM, with a shebang).
// Native and ML packages stay external so their binaries and weights resolve at run time.
// No source maps: the output is plain, unminified ESM/CJS that reads like the source, and
// maps were 2.6 MB of the 4.0 MB unpacked package.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    clean: true,
    target: 'node20',
    shims: true,
    define: { __SALON_LENS_VERSION__: JSON.stringify(version) },
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: false,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    define: { __SALON_LENS_VERSION__: JSON.stringify(version) },
  },
]);
