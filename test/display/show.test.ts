import { inspect } from 'node:util';
import * as aq from 'arquero';
import { tableFromArrays } from 'apache-arrow';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { consentRateChart, JUPYTER_DISPLAY, readPartition, runJob, show, localSource } from '../../src/index.ts';
import { FIXTURES } from '../support/fixtures.ts';

/** What `work` printed with console.log, and what it returned. */
function printed<T>(work: () => T): { value: T; lines: string[] } {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    return { value: work(), lines };
  } finally {
    console.log = log;
  }
}

test('outside a notebook, show prints an aligned text table with a header row, once', () => {
  const table = aq.table({ name: ['a', null, 'ccc'], n: [1, 2.123456, 30] });
  const { value, lines } = printed(() => show(table, { limit: 2, title: 'T' }));
  // Strings left-aligned, numbers right-aligned to the widest of the column's shown values and its name.
  assert.equal(lines, [['T', 'name       n', '----  ------', 'a          1', 'null  2.1235', '... 1 more row(s), 3 in all'].join('\n')]);
  assert.is(String(value), lines[0], 'its text, for string contexts');
  assert.is(inspect(value), '[shown: 3 rows × 2 columns, first 2 shown]', 'a REPL echoing it does not print the table twice');
  assert.is(value[JUPYTER_DISPLAY]()['text/plain'], lines[0]);
});

test('show renders the first rows as an HTML table with counts, escaping values', () => {
  const table = aq.table({ name: ['<b>&', null, 'c'], n: [1, 2.123456, 3] });
  const html = printed(() => show(table, { limit: 2, title: 'T' })).value[JUPYTER_DISPLAY]()['text/html'] as string;
  assert.match(html, '<th>name</th><th>n</th>');
  assert.match(html, '<td>&lt;b&gt;&amp;</td><td style="text-align:right">1</td>');
  assert.match(html, '<td>null</td><td style="text-align:right">2.1235</td>');
  assert.not.match(html, '>c<', 'rows past the limit are not rendered');
  assert.match(html, '3 rows × 2 columns, first 2 shown');
});

test('show takes Apache Arrow tables and never renders more than the limit', () => {
  const table = tableFromArrays({ x: Int32Array.from({ length: 100_000 }, (_, i) => i) });
  const html = printed(() => show(table, { limit: 3 })).value[JUPYTER_DISPLAY]()['text/html'] as string;
  assert.is((html.match(/<tr>/g) ?? []).length, 4, 'a header row and three rows');
  assert.match(html, '100,000 rows × 1 columns, first 3 shown');
});

test('a job result and a partition read display themselves', async () => {
  const root = `${FIXTURES}example/input`;
  const result = await runJob({ root });
  const output = (result as unknown as Record<symbol, () => Record<string, string>>)[JUPYTER_DISPLAY]!();
  assert.match(output['text/html']!, '10 rows × 10 columns');
  assert.match(output['text/html']!, 'read 2 partition(s), 2 file(s), 62 line(s)');
  const source = await localSource(root);
  const partition = await readPartition(source, { datehour: '2021-01-23-11', key: 'datehour=2021-01-23-11' });
  const html = (partition as unknown as Record<symbol, () => Record<string, string>>)[JUPYTER_DISPLAY]!()['text/html']!;
  assert.match(html, 'datehour=2021-01-23-11: 1 file(s), 23 line(s)');
});

test('the consent-rate chart is a Vega-Lite spec with the rate per hour and domain', async () => {
  const { metrics } = await runJob({ root: `${FIXTURES}example/input` });
  const chart = consentRateChart(metrics, { domains: 2 });
  const bundle = chart[JUPYTER_DISPLAY]();
  const spec = bundle['application/vnd.vegalite.v5+json'] as { data: { values: Record<string, unknown>[] }; encoding: { y: { field: string } } };
  assert.is(spec.encoding.y.field, 'consent_rate');
  // The two domains with the most page views: www.domain-A.eu (17) and www.mywebsite.com (13).
  // domain-A at 10: 4 + 4 page views, 2 + 3 with consent (ES and FR rows of the example).
  assert.equal(spec.data.values.find((v) => v.datehour === '2021-01-23-10' && v.domain === 'www.domain-A.eu'),
    { datehour: '2021-01-23-10', domain: 'www.domain-A.eu', events: 8, with_consent: 5, consent_rate: 5 / 8 });
  assert.equal([...new Set(spec.data.values.map((v) => v.domain))].sort(), ['www.domain-A.eu', 'www.mywebsite.com']);
});

test.run();
