/** Entry point of the `salon-lens` binary. */
import { run } from './program.js';

declare const __SALON_LENS_VERSION__: string;

const version = typeof __SALON_LENS_VERSION__ === 'string' ? __SALON_LENS_VERSION__ : '0.0.0-dev';

run(process.argv, version).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
