/** The package version, inlined at build time (tsup `define`); '0.0.0-dev' when run from sources. */
declare const __SALON_LENS_VERSION__: string;

export const VERSION: string =
  typeof __SALON_LENS_VERSION__ === 'string' ? __SALON_LENS_VERSION__ : '0.0.0-dev';
