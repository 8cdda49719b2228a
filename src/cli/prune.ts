/** `index --prune`: the library's rule (see api/prune.ts), kept here for the CLI's imports. */
export { type SourcedSalon, salonsToPrune } from '../api/prune.js';
