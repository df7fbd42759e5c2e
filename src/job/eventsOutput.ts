// What the events table needs from Arquero and parquet-wasm, loaded only when events are made into an
// Arquero table or written.
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { Table, tableToIPC } from 'apache-arrow';
import { EVENT_ENCODINGS, eventsTable } from '../expand/eventsTable.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import type { CompressionName } from '../write/compressions.ts';
import { encodeParquet, encodeParquetStream } from '../write/encodeParquet.ts';
import { openSink } from '../write/openSink.ts';
import { gathered } from '../write/writeParquet.ts';


/** The events tables of a run as one Arquero table: lists as arrays, `line` as a number. */
export function eventsToArquero(batches: readonly Table[]): ColumnTable {
  const schema = (batches[0] ?? emptyEvents()).schema;
  return aq.fromArrow(tableToIPC(new Table(schema, batches.flatMap((batch) => batch.batches)), 'stream'));
}

/** An events table without rows: the schema of a file that gets none. */
function emptyEvents(): Table {
  return eventsTable('', [], new Uint8Array(0));
}

/** An events table as one Parquet file's bytes. */
export function eventsParquet(events: Table, compression: CompressionName): Uint8Array {
  return encodeParquet(tableToIPC(events, 'stream'), compression, EVENT_ENCODINGS);
}

/**
 * Writes events tables that come partition after partition to `out`: one Parquet file, encoded as they
 * come (a row group at a time), or, with `out` ending in `/`, a file per datehour
 * (`datehour=.../part-0.parquet`; the partitions may come encoded already, as `parquet`). Returns the locations written.
 */
export async function writeEventBatches(partitions: AsyncIterable<{ datehour: string; events?: Table; parquet?: Uint8Array }>, out: string, { s3, compression = 'snappy' }: { s3?: S3Options; compression?: CompressionName }): Promise<string[]> {
  const { sink, key, byDatehour } = await openSink(out, s3);
  if (byDatehour) {
    const written: string[] = [];
    const files = (async function* () {
      for await (const { datehour, events, parquet } of partitions) {
        const file = { key: `datehour=${datehour}/part-0.parquet`, bytes: parquet ?? eventsParquet(events!, compression) };
        written.push(sink.describe(file.key));
        yield file;
      }
    })();
    if (sink.writeEach) await sink.writeEach(files);
    else for await (const file of files) await sink.write([file]);
    return written;
  }
  const tables = (async function* () {
    for await (const { events } of partitions) yield events!;
  })();
  const chunks = encodeParquetStream(emptyEvents(), tables, compression, EVENT_ENCODINGS);
  if (sink.writeFrom) await sink.writeFrom(key, chunks);
  else await sink.write([{ key, bytes: await gathered(chunks) }]);
  return [sink.describe(key)];
}
