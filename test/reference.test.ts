// The expected results in fixtures/ were worked out by hand; a second, naive implementation of the
// SPEC (test/support/referenceJob.ts) must agree with each, so a slip in the hand arithmetic shows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goldenCases, rowsDiffer } from './support/fixtures.ts';
import { referenceJob } from './support/referenceJob.ts';

for (const golden of goldenCases()) {
  test(`reference agrees with fixtures/${golden.name}/expected.json`, () => {
    const reference = referenceJob(golden.root, golden.options);
    assert.is(rowsDiffer(reference.rows, golden.rows), null);
    const { lines, duplicates, rejected, invalid_tokens } = golden.report;
    assert.equal(
      { lines: reference.lines, duplicates: reference.duplicates, rejected: reference.rejected, invalid_tokens: reference.invalid_tokens },
      { lines, duplicates, rejected, invalid_tokens },
    );
  });
}

test.run();
