/** Entry point of the `salon-lens` binary. */
import { VERSION } from '../version.js';
import { exitQuietlyOnClosedPipe } from './io.js';
import { run } from './program.js';

exitQuietlyOnClosedPipe();

run(process.argv, VERSION).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
