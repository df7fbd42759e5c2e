// Reads Parquet with hyparquet, a reader independent of parquet-wasm (the writer).
import { readFile } from 'node:fs/promises';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export interface ParquetContents {
  /** `name: physical type / logical type`, in file order. */
  schema: string[];
  rows: Record<string, unknown>[];
  codecs: string[];
  /** Each column's encodings (first row group), by column name. */
  encodings: Record<string, string[]>;
  /** Rows in each row group. */
  rowGroups: number[];
}

export async function readParquetBack(path: string): Promise<ParquetContents> {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const schema = metadata.schema.slice(1).map((element) =>
    `${element.name}: ${element.type}${element.logical_type ? `/${element.logical_type.type}` : ''}`,
  );
  const codecs = [...new Set(metadata.row_groups.flatMap((group) => group.columns.map((column) => column.meta_data!.codec)))];
  const rows = await parquetReadObjects({ file, compressors });
  const encodings = Object.fromEntries((metadata.row_groups[0]?.columns ?? []).map((column) => [column.meta_data!.path_in_schema.join('.'), column.meta_data!.encodings]));
  return { schema, rows, codecs, encodings, rowGroups: metadata.row_groups.map((group) => Number(group.num_rows)) };
}

/** The output schema of SPEC.md, as Parquet stores it. */
export const SPEC_PARQUET_SCHEMA = [
  'datehour: BYTE_ARRAY/STRING',
  'domain: BYTE_ARRAY/STRING',
  'country: BYTE_ARRAY/STRING',
  'pageviews: INT64',
  'pageviews_with_consent: INT64',
  'consents_asked: INT64',
  'consents_asked_with_consent: INT64',
  'consents_given: INT64',
  'consents_given_with_consent: INT64',
  'avg_pageviews_per_user: DOUBLE',
];
