/**
 * The HTML report's whole stylesheet, inlined into the page (the CSP allows
 * inline styles only, so nothing can be fetched). Fluid layout: one column,
 * max ~64rem wide; tables scroll sideways inside their own box on phones
 * instead of widening the page. Text breaks anywhere when it must (body's
 * overflow-wrap): one unbroken 5,000-character word in an item once widened the
 * page by 60,000 px, and `anywhere` (unlike `break-word`) also lets table cells,
 * grid and flex items shrink below such a word.
 */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1b1b1f; --muted: #55585f; --line: #dcdde1; --card: #ffffff;
  --bg: #f5f5f7; --accent: #1f4e8c; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.55; overflow-wrap: anywhere;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); }
a:focus-visible, [tabindex]:focus-visible, summary:focus-visible { outline: 3px solid #e69f00; outline-offset: 2px; }
.wrap { max-width: 64rem; margin: 0 auto; padding: 0 1rem; }
header.top { background: #1d2433; color: #fff; padding: 1.75rem 0 1.25rem; }
header.top h1 { margin: 0 0 .35rem; font-size: clamp(1.5rem, 4vw, 2.1rem); line-height: 1.2; }
header.top p { margin: 0; color: #d6dbe6; font-size: .95rem; }
nav.toc { margin-top: .9rem; display: flex; flex-wrap: wrap; gap: .4rem .9rem; font-size: .92rem; }
nav.toc a { color: #fff; }
main { padding: 1rem 0 3rem; }
section { margin-top: 2rem; }
h2 { font-size: 1.45rem; margin: 0 0 .75rem; padding-bottom: .3rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.15rem; margin: 0 0 .5rem; line-height: 1.3; }
h4 { font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  margin: 1.1rem 0 .4rem; }
p.lead { color: var(--muted); margin: 0 0 .9rem; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .75rem;
  list-style: none; padding: 0; margin: 0 0 1.25rem; }
.stats li { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .7rem .9rem; }
.stats strong { display: block; font-size: 1.6rem; line-height: 1.1; }
.stats span { color: var(--muted); font-size: .9rem; }
.stats .model strong { font-size: 1rem; line-height: 1.6; overflow-wrap: anywhere; }
.table-scroll { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: .6rem; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; padding: .6rem .8rem; color: var(--muted); font-size: .9rem; }
th, td { padding: .45rem .7rem; border-top: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-top: 0; font-size: .85rem; color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.heatmap { font-size: .9rem; }
.heatmap th, .heatmap td { padding: .2rem .5rem; }
.heatmap td { white-space: nowrap; overflow-wrap: normal; }
.heatmap th[scope="row"] { font-weight: 600; min-width: 12rem; vertical-align: middle; }
.heatmap th[scope="row"] a { display: block; max-width: 16rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.heatmap th[scope="row"] a { color: var(--fg); text-decoration: none; }
.heatmap th[scope="row"] a:hover { text-decoration: underline; }
.heatmap td.cell { text-align: center; vertical-align: middle; font-weight: 600; font-variant-numeric: tabular-nums; min-width: 3rem;
  border: 2px solid var(--card); }
.heatmap thead th.salon { text-align: center; }
.heatmap thead th.salon small { display: block; font-weight: 400; }
.key-list { display: flex; flex-wrap: wrap; gap: .25rem 1.1rem; list-style: none; padding: 0; margin: .6rem 0 0;
  font-size: .88rem; color: var(--muted); }
.key-list b { color: var(--fg); }
figure.map { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .5rem; }
figure.map svg.plot { display: block; width: 100%; height: auto; max-height: 75vh; }
figure.map figcaption { color: var(--muted); font-size: .9rem; padding: .25rem .5rem .5rem; }
.plot .mark { stroke: #2b2b2b; stroke-width: .6; transform-box: fill-box; transform-origin: center; }
.plot .mark.unassigned { fill: #ffffff; stroke: #8a8a8a; }
.plot .mark:hover { transform: scale(1.8); stroke-width: 1.2; }
.plot .label { font: 700 15px system-ui, sans-serif; fill: #111; stroke: #fff; stroke-width: 4px;
  paint-order: stroke; pointer-events: none; }
.plot .frame { fill: none; stroke: var(--line); }
@media (max-width: 40rem) { .plot .mark { transform: scale(1.5); } .plot .label { font-size: 22px; } }
ul.legend { list-style: none; padding: 0; margin: .6rem 0 0; display: grid; gap: .3rem .9rem;
  grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); font-size: .92rem; }
ul.legend li { display: flex; gap: .45rem; align-items: baseline; }
svg.key { width: 1em; height: 1em; flex: none; align-self: center; }
.themes { display: grid; gap: .5rem; }
details.theme { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--theme);
  border-radius: .6rem; padding: .55rem 1.1rem; margin: 0; }
details.theme[open] { padding-bottom: 1rem; }
details.theme > summary { list-style: none; color: var(--fg); font-size: 1rem; display: flex; flex-wrap: wrap;
  align-items: baseline; gap: .1rem 1.2rem; }
details.theme > summary::-webkit-details-marker { display: none; }
details.theme > summary h3 { display: flex; gap: .5rem; align-items: baseline; margin: 0; flex-wrap: wrap; }
details.theme > summary h3::before { content: "▸"; color: var(--muted); }
details.theme[open] > summary h3::before { content: "▾"; }
details.theme h3 svg.key { align-self: center; }
details.theme ul.facts { margin: 0 0 0 1.1rem; }
.badge.guided { border-color: var(--accent); color: var(--accent); font-weight: 600; }
section.glance { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: 1rem 1.1rem; }
section.glance h2 { border-bottom: 0; padding-bottom: 0; }
.glance-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .8rem 1.4rem; }
.glance-grid h3 { font-size: .95rem; margin: 0 0 .3rem; }
ul.glance-list { margin: 0; padding-left: 1.1rem; font-size: .93rem; }
ul.glance-list li { margin: .15rem 0; }
p.none { color: var(--muted); font-style: italic; margin: 0; font-size: .93rem; }
ul.facts { list-style: none; padding: 0; margin: .2rem 0 .6rem; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem;
  color: var(--muted); font-size: .92rem; }
ul.facts strong { color: var(--fg); }
.chips { display: flex; flex-wrap: wrap; gap: .35rem; list-style: none; padding: 0; margin: .3rem 0; }
.chips li { background: #eef1f6; border-radius: 1rem; padding: .1rem .6rem; font-size: .85rem; }
ul.items, ol.items { padding-left: 1.2rem; margin: 0; }
ul.items li, ol.items > li { margin: .35rem 0; }
.src { color: var(--muted); font-size: .85rem; white-space: nowrap; }
.badge { display: inline-block; font-size: .75rem; border: 1px solid var(--line); border-radius: .3rem;
  padding: 0 .3rem; color: var(--muted); margin-left: .25rem; }
ul.related { list-style: none; padding: .2rem 0 .2rem .8rem; margin: .25rem 0 .5rem; border-left: 3px solid var(--line);
  font-size: .93rem; }
ul.related li { margin: .25rem 0; }
ul.related .none { color: var(--muted); font-style: italic; }
.score { font-variant-numeric: tabular-nums; color: var(--muted); font-size: .8rem; }
details { margin: .3rem 0; }
details.all { margin-top: .9rem; border-top: 1px dashed var(--line); padding-top: .5rem; }
details.all ul.items { font-size: .93rem; }
summary { cursor: pointer; color: var(--accent); font-size: .92rem; }
ol.groups { list-style: none; padding: 0; margin: 0; display: grid; gap: .8rem; }
ol.groups > li { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .8rem 1rem; }
footer { color: var(--muted); font-size: .85rem; padding: 1.5rem 0 2rem; border-top: 1px solid var(--line); }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  .src { white-space: normal; }
  .heatmap th[scope="row"] { min-width: 8.5rem; font-size: .88rem; padding: .25rem .4rem; }
  .heatmap th[scope="row"] a { max-width: 10rem; }
  .heatmap td.cell { min-width: 2.1rem; padding: .25rem .15rem; }
  .heatmap thead th { padding: .35rem .2rem; }
  .heatmap thead th.salon small { display: none; }
  th, td { padding: .4rem .45rem; }
  details.theme { padding: .5rem .85rem; }
}
@media print { body { background: #fff; } header.top { background: #fff; color: #000; } nav.toc { display: none; } }
`;
