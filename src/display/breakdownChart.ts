import type { ColumnTable } from 'arquero';
import { JUPYTER_DISPLAY, type Displayable } from './show.ts';

/**
 * Consent rate by purpose (or vendor) as a Vega-Lite v5 bar chart, from a breakdown (`runJob({ by })`):
 * for each name, the share of the type's events whose token lists it as enabled, and as disabled, over
 * every group and hour of the breakdown. Rendered by JupyterLab itself (nothing fetched); `.spec` gives
 * the plain spec to any other Vega-Lite renderer.
 *
 * @example
 * const { metrics } = await runJob({ root, by: 'purpose' });
 * breakdownChart(metrics, { type: 'consent.given' }); // the last expression of a cell renders as a chart
 */
export function breakdownChart(breakdown: ColumnTable, { type = 'pageview' }: { type?: 'pageview' | 'consent.asked' | 'consent.given' } = {}): Displayable & {
  /** The plain Vega-Lite v5 spec, for other renderers. */
  spec: object;
} {
  const name = breakdown.columnNames().includes('vendor') ? 'vendor' : 'purpose';
  const values = breakdown
    .params({ type })
    .filter('(d, $) => d.type === $.type')
    .groupby(name)
    .rollup({ events: 'd => op.sum(d.events)', enabled: 'd => op.sum(d.enabled)', disabled: 'd => op.sum(d.disabled)' })
    .fold(['enabled', 'disabled'], { as: ['state', 'listed'] })
    .derive({ share: 'd => d.events === 0 ? 0 : d.listed / d.events' })
    .orderby(name, 'state')
    .objects();
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Share of ${type} events whose token lists each ${name}`,
    width: 500,
    height: 250,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: name, type: 'nominal', title: name },
      xOffset: { field: 'state' },
      y: { field: 'share', type: 'quantitative', title: `share of ${type} events`, axis: { format: '%' }, scale: { domain: [0, 1] } },
      color: { field: 'state', type: 'nominal', title: 'listed as' },
      tooltip: [{ field: name }, { field: 'state' }, { field: 'listed' }, { field: 'events' }, { field: 'share', format: '.1%' }],
    },
  };
  return {
    spec,
    [JUPYTER_DISPLAY]: () => ({
      'application/vnd.vegalite.v5+json': spec,
      'text/plain': `Vega-Lite chart: share of ${type} events by ${name}, ${values.length / 2} ${name}(s)`,
    }),
  };
}
