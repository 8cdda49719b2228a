// CommonJS consumers get the same API through require().
const { parseSalon, SalonLens, ERROR_CODES } = require('salon-lens');

const salon = parseSalon('# Questions\n- Does require() work?\n', { source: 'cjs.md' });
console.log(
  JSON.stringify({
    items: salon.items.length,
    facade: typeof SalonLens.open,
    codes: ERROR_CODES.length,
  }),
);
