// How fast FileParser reads one file in the shapes producers write, on one thread:
//   npx tsx bench/shapes.ts [--file bench/data/events-2000000/datehour=2021-01-23-00/part-00000-900cfecc.c000.json]
// usual: the file as generated; reordered: the same events with keys in another order and an extra
// nested field (both on the WebAssembly scan); token obj: the token given as a JSON object, not a
// string (the scan leaves those to scanEvent, in JS); json.parse: the reordered lines through
// parseEventJson alone, decoding and JSON.parse per line without building columns, for scale.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FileParser, parseEventJson } from '../src/index.ts';

const { values } = parseArgs({ options: { file: { type: 'string', default: 'bench/data/events-2000000/datehour=2021-01-23-00/part-00000-900cfecc.c000.json' } } });
const usual = readFileSync(values.file!, 'utf8');
const reordered = usual.split('\n').filter(Boolean).map((line) => {
  const { id, datetime, domain, type, user } = JSON.parse(line);
  return JSON.stringify({ type, meta: { id: 'decoy', source: [1, true] }, user: { token: user.token, country: user.country, id: user.id }, domain, datetime, id });
}).join('\n');
const tokenObject = usual.split('\n').filter(Boolean).map((line) => {
  const event = JSON.parse(line);
  return JSON.stringify({ ...event, user: { ...event.user, token: JSON.parse(event.user.token) } });
}).join('\n');

function time(name: string, run: () => number) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 9; i++) {
    const started = performance.now();
    rows = run();
    times.push(performance.now() - started);
  }
  const median = times.sort((a, b) => a - b)[4]!;
  console.log(`${name.padEnd(10)} ${median.toFixed(0).padStart(6)} ms  ${rows} rows`);
}
const parse = (text: string) => () => {
  const parser = new FileParser('f');
  parser.push(new TextEncoder().encode(text));
  return parser.finish().rows;
};
time('usual', parse(usual));
time('reordered', parse(reordered));
time('token obj', parse(tokenObject));
const reorderedBytes = new TextEncoder().encode(reordered);
const decoder = new TextDecoder();
time('json.parse', () => {
  let rows = 0;
  for (let start = 0; start < reorderedBytes.length; ) {
    const end = reorderedBytes.indexOf(0x0a, start) >>> 0 || reorderedBytes.length;
    if (!('reason' in parseEventJson(decoder.decode(reorderedBytes.subarray(start, end))))) rows++;
    start = end + 1;
  }
  return rows;
});
