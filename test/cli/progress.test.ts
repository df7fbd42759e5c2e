import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress, formatProgress } from '../../src/cli/progress.ts';

test('formatProgress: partitions, MB, MB/s and events/s', () => {
  assert.is(formatProgress({ partitions: 3, of: 24, bytes: 96_200_000, events: 250_000, seconds: 2 }),
    'partitions 3/24 · 96.2 MB · 48.1 MB/s · 125,000 events/s');
});

test('progress is drawn on one line on a terminal and cleared at the end', () => {
  const written: string[] = [];
  let clock = 0;
  const progress = createProgress({ isTTY: true, write: (text: string) => written.push(text) }, { now: () => clock });
  clock = 1000;
  progress.update({ bytes: 1_000_000, events: 10, of: 2 });
  progress.done();
  assert.equal(written, ['\r\x1b[Kpartitions 1/2 · 1.0 MB · 1.0 MB/s · 10 events/s', '\r\x1b[K']);
});

test('nothing is drawn when the stream is not a terminal', () => {
  const written: string[] = [];
  const progress = createProgress({ isTTY: false, write: (text: string) => written.push(text) });
  progress.update({ bytes: 1, events: 1, of: 1 });
  progress.done();
  assert.equal(written, []);
});

test.run();
