import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { JUPYTER_DISPLAY, type Displayable } from './show.ts';

/**
 * How many domains `consentRateChart` draws, and the share of which events.
 *
 * @example
 * consentRateChart(metrics, { domains: 3, of: 'consents_given' }); // the top 3 domains' share of choices with consent
 */
export interface ChartOptions {
  /** Domains drawn, those with the most page views. Default: 8. */
  domains?: number;
  /** Which events the rate is over. Default: `'pageviews'`. */
  of?: 'pageviews' | 'consents_asked' | 'consents_given';
}

/**
 * Consent rate by hour and domain as a Vega-Lite v5 line chart: for each datehour and domain, the
 * share of events with consent (over all countries). JupyterLab renders the
 * `application/vnd.vegalite.v5+json` MIME type itself, so nothing is fetched from a network. The
 * spec is plain data: `.spec` gives it to any other Vega-Lite renderer.
 *
 * @example
 * consentRateChart(result.metrics); // the last expression of a cell renders as a chart
 */
export function consentRateChart(metrics: ColumnTable, { domains = 8, of = 'pageviews' }: ChartOptions = {}): Displayable & {
  /** The plain Vega-Lite v5 spec, for other renderers. */
  spec: object;
} {
  const top = [...metrics
    .groupby('domain')
    .rollup({ total: `d => op.sum(d.${of})` })
    .orderby(aq.desc('total'))
    .slice(0, domains)
    .array('domain')] as (string | null)[];
  const values = metrics
    .params({ top })
    .filter('(d, $) => op.includes($.top, d.domain)')
    .groupby('datehour', 'domain')
    .rollup({ events: `d => op.sum(d.${of})`, with_consent: `d => op.sum(d.${of}_with_consent)` })
    .derive({ consent_rate: 'd => d.events === 0 ? 0 : d.with_consent / d.events' })
    .orderby('datehour', 'domain')
    .objects();
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Consent rate of ${of.replace('_', ' ')} by hour, top ${domains} domains`,
    width: 600,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'datehour', type: 'ordinal', title: 'datehour' },
      y: { field: 'consent_rate', type: 'quantitative', title: 'share with consent', axis: { format: '%' }, scale: { domain: [0, 1] } },
      color: { field: 'domain', type: 'nominal' },
      tooltip: [{ field: 'datehour' }, { field: 'domain' }, { field: 'events' }, { field: 'consent_rate', format: '.1%' }],
    },
  };
  return {
    spec,
    [JUPYTER_DISPLAY]: () => ({
      'application/vnd.vegalite.v5+json': spec,
      'text/plain': `Vega-Lite chart: ${values.length} points, consent rate by hour for ${top.length} domain(s)`,
    }),
  };
}
