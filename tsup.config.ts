import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// Two builds: the library (ESM + CJS with types) and the CLI (ESM, with a shebang).
// Native and ML packages stay external so their binaries and weights resolve at run time.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    shims: true,
    define: { __SALON_LENS_VERSION__: JSON.stringify(version) },
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    define: { __SALON_LENS_VERSION__: JSON.stringify(version) },
  },
]);
