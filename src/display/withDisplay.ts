import { escapeHtml, JUPYTER_DISPLAY, show, type Displayable } from './show.ts';
import { summarizeReport } from '../report/RunReport.ts';
import type { JobResult } from '../runJob.ts';
import type { PartitionEvents } from '../read/readPartitions.ts';

/** Gives a job result a notebook display: the metrics as a table, then the report summary. */
export function displayJobResult<T extends JobResult>(result: T): T & Displayable {
  return Object.assign(result, {
    [JUPYTER_DISPLAY]: () => {
      const table = show(result.metrics, { title: 'Metrics' })[JUPYTER_DISPLAY]();
      const summary = summarizeReport(result.report);
      return {
        'text/html': `${table['text/html']}\n<pre>${escapeHtml(summary)}</pre>`,
        'text/plain': `${table['text/plain']}\n${summary}`,
      };
    },
  });
}

/** Gives a partition read a notebook display: its datehour, files and first rows. */
export function displayPartition<T extends PartitionEvents>(events: T): T & Displayable {
  return Object.assign(events, {
    [JUPYTER_DISPLAY]: () =>
      show(events.table, { title: `datehour=${events.partition.datehour}: ${events.files} file(s), ${events.tally.lines} line(s)`, limit: 10 })[JUPYTER_DISPLAY](),
  });
}
