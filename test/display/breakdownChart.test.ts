// breakdownChart's points against sums of the naive reference's breakdown rows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { breakdownChart, JUPYTER_DISPLAY, runJob } from '../../src/index.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { referenceBreakdown, referenceEvents } from '../support/referenceAnalysis.ts';

const root = `${FIXTURES}analyst-tokens/input`;

for (const [by, type] of [['purpose', 'pageview'], ['vendor', 'consent.given']] as const) {
  test(`by ${by}, ${type}: per name, the share of the type's events listing it enabled and disabled, over every group and hour`, async () => {
    const { metrics } = await runJob({ root, by });
    const chart = breakdownChart(metrics, { type });
    const expected = new Map<string, { events: number; enabled: number; disabled: number }>();
    for (const row of referenceBreakdown(referenceEvents(root), by)) {
      const [, , , rowType, name, events, enabled, disabled] = row as [string, string, string, string, string, number, number, number];
      if (rowType !== type) continue;
      const sums = expected.get(name) ?? { events: 0, enabled: 0, disabled: 0 };
      expected.set(name, { events: sums.events + events, enabled: sums.enabled + enabled, disabled: sums.disabled + disabled });
    }
    const points = (chart.spec as { data: { values: { state: string; share: number; listed: number }[] } }).data.values;
    const wanted = [...expected].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([name, sums]) => (['disabled', 'enabled'] as const)
      .map((state) => ({ [by]: name, events: sums.events, state, listed: sums[state], share: sums[state] / sums.events })));
    assert.ok(wanted.length >= 4);
    assert.equal(points, wanted);
    assert.ok('application/vnd.vegalite.v5+json' in chart[JUPYTER_DISPLAY]());
  });
}

test.run();
