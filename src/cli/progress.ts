/** A stream progress is drawn on: stderr, or a fake in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Progress while reading, redrawn on one line: partitions done, MB read, MB and events per second.
 * Drawn only when the stream is a terminal, so logs and pipes get no carriage-return noise.
 *
 * @example
 * const progress = createProgress(process.stderr);
 * await runJob({ root, onPartition: progress.update });
 * progress.done();
 */
export function createProgress(stream: ProgressStream, { now = () => performance.now() } = {}) {
  const started = now();
  let bytes = 0;
  let events = 0;
  let partitions = 0;
  let drawn = false;
  return {
    update({ bytes: partBytes, events: partEvents, of }: { bytes: number; events: number; of: number }): void {
      bytes += partBytes;
      events += partEvents;
      partitions++;
      if (!stream.isTTY) return;
      stream.write(`\r\x1b[K${formatProgress({ partitions, of, bytes, events, seconds: (now() - started) / 1000 })}`);
      drawn = true;
    },
    /** A queued run's progress: tasks done out of all. */
    task({ done, of }: { done: number; of: number }): void {
      if (!stream.isTTY) return;
      stream.write(`\r\x1b[Ktasks ${done}/${of} · ${((now() - started) / 1000).toFixed(1)} s`);
      drawn = true;
    },
    /** Clears the progress line, so what follows starts on a clean line. */
    done(): void {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

export function formatProgress({ partitions, of, bytes, events, seconds }: { partitions: number; of: number; bytes: number; events: number; seconds: number }): string {
  const mb = bytes / 1e6;
  const rate = (value: number) => (seconds > 0 ? value / seconds : 0);
  return `partitions ${partitions}/${of} · ${mb.toFixed(1)} MB · ${rate(mb).toFixed(1)} MB/s · ${Math.round(rate(events)).toLocaleString('en')} events/s`;
}
