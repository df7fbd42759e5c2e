import { Bool, Int32, Table, makeVector, type Data, type Dictionary, type Utf8 } from 'apache-arrow';
import type { Tally } from '../report/Tally.ts';
import { parseToken, type TokenFacts } from './parseToken.ts';

/**
 * How `expandToken` reports and caches what it parses.
 *
 * @example
 * const tokenCache = new Map();
 * for (const table of tables) expandToken(table, { tally, counts: false, tokenCache });
 */
export interface ExpandOptions {
  /** Where invalid tokens are reported (with file and line, strict mode included). Default: not reported. */
  tally?: Tally;
  /** Add the purposes/vendors count columns; the metrics need only `consent`. Default: true. */
  counts?: boolean;
  /** Token facts already parsed, by token text; pass one map to every partition of a run. Default: a new map. */
  tokenCache?: Map<string, TokenFacts>;
}

/**
 * Columns {@link expandToken} adds.
 *
 * @example
 * expandToken(table).select([...TOKEN_COLUMNS]); // just the token's facts
 */
export const TOKEN_COLUMNS = ['consent', 'purposes_enabled', 'purposes_disabled', 'vendors_enabled', 'vendors_disabled'] as const;

/**
 * Expands the dictionary-encoded `token` column into `consent` (bool) and the counts of enabled and
 * disabled purposes and vendors (int32, null when the token is missing or invalid), in one
 * vectorized step: each distinct token string is parsed once, then every row gathers its facts by
 * dictionary code. (The slow equivalent is one JSON.parse per row.)
 *
 * @example
 * const expanded = expandToken(table, { tally });
 * expanded.getChild('consent')?.toArray();
 */
export function expandToken(table: Table, { tally, counts: withCounts = true, tokenCache = new Map() }: ExpandOptions = {}): Table {
  const rows = table.numRows;
  const consent = new Uint8Array((rows + 7) >> 3);
  const length = withCounts ? rows : 0;
  const [purposesEnabled, purposesDisabled, vendorsEnabled, vendorsDisabled] = [0, 1, 2, 3].map(() => new Int32Array(length)) as [Int32Array, Int32Array, Int32Array, Int32Array];
  const known = new Uint8Array((rows + 7) >> 3);
  let unknownCount = 0;
  const invalidRows: number[] = [];

  let row = 0;
  for (const chunk of (table.getChild('token')?.data ?? []) as Data<Dictionary<Utf8>>[]) {
    const texts = [...chunk.dictionary!] as string[]; // one pass; Vector.get per entry is far slower
    const facts = texts.map((text) => {
      let parsed = tokenCache.get(text);
      if (!parsed) tokenCache.set(text, (parsed = parseToken(text)));
      return parsed;
    });
    // Per-code columns, so the row loop below is typed-array gathers only.
    const codeConsent = Uint8Array.from(facts, (f) => (f.consent ? 1 : 0));
    const codeValid = Uint8Array.from(facts, (f) => (f.valid ? 1 : 0));
    const codePurposesEnabled = Int32Array.from(facts, (f) => f.purposesEnabled);
    const codePurposesDisabled = Int32Array.from(facts, (f) => f.purposesDisabled);
    const codeVendorsEnabled = Int32Array.from(facts, (f) => f.vendorsEnabled);
    const codeVendorsDisabled = Int32Array.from(facts, (f) => f.vendorsDisabled);
    const codes = chunk.values as Int32Array;
    const validity = chunk.nullCount > 0 ? chunk.nullBitmap : null;
    const base = chunk.offset;
    for (let i = 0; i < chunk.length; i++, row++) {
      const at = base + i;
      const present = !validity || (validity[at >> 3]! >> (at & 7)) & 1;
      const code = codes[at]!;
      if (!present || !codeValid[code]) {
        unknownCount++;
        if (present) invalidRows.push(row);
        continue;
      }
      known[row >> 3]! |= 1 << (row & 7);
      if (codeConsent[code]) consent[row >> 3]! |= 1 << (row & 7);
      if (!withCounts) continue;
      purposesEnabled[row] = codePurposesEnabled[code]!;
      purposesDisabled[row] = codePurposesDisabled[code]!;
      vendorsEnabled[row] = codeVendorsEnabled[code]!;
      vendorsDisabled[row] = codeVendorsDisabled[code]!;
    }
  }

  if (tally) reportInvalidTokens(table, invalidRows, tokenCache, tally);
  const countVector = (values: Int32Array) =>
    makeVector({ type: new Int32(), data: values, length: rows, nullCount: unknownCount, nullBitmap: unknownCount ? known : null });
  const consentVector = makeVector({ type: new Bool(), data: consent, length: rows });
  if (!withCounts) return table.assign(new Table({ consent: consentVector }));
  return table.assign(
    new Table({
      consent: consentVector,
      purposes_enabled: countVector(purposesEnabled),
      purposes_disabled: countVector(purposesDisabled),
      vendors_enabled: countVector(vendorsEnabled),
      vendors_disabled: countVector(vendorsDisabled),
    }),
  );
}

function reportInvalidTokens(table: Table, rows: number[], factsOf: Map<string, TokenFacts>, tally: Tally): void {
  const file = table.getChild('file');
  const line = table.getChild('line');
  const token = table.getChild('token');
  for (const row of rows) {
    tally.report({
      reason: 'invalid_token',
      file: file?.get(row) ?? '?',
      line: line?.get(row) ?? 0,
      detail: factsOf.get(token?.get(row))?.problem ?? 'invalid token',
    });
  }
}
