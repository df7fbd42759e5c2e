/**
 * The names a token lists, each list as the SPEC's events table has it: the list's string entries,
 * each once, in token order; null where the token is invalid, null, or has no such list.
 *
 * @example
 * const { purposesEnabled }: TokenLists = tokenLists('{"purposes":{"enabled":["ads","ads",1]}}'); // ['ads']
 */
export interface TokenLists {
  /** `purposes.enabled`. */
  purposesEnabled: string[] | null;
  /** `purposes.disabled`. */
  purposesDisabled: string[] | null;
  /** `vendors.enabled`. */
  vendorsEnabled: string[] | null;
  /** `vendors.disabled`. */
  vendorsDisabled: string[] | null;
}

/**
 * One of a token's lists: its column in the events table, where it sits in the token, its field in {@link TokenLists}.
 *
 * @example
 * const { column, group, list }: ListColumn = LIST_COLUMNS[3]; // 'vendors_disabled', 'vendors', 'disabled'
 */
export interface ListColumn {
  /** The events table's column. */
  column: 'purposes_enabled' | 'purposes_disabled' | 'vendors_enabled' | 'vendors_disabled';
  /** The token's group: `purposes` or `vendors`. */
  group: 'purposes' | 'vendors';
  /** The group's list: `enabled` or `disabled`. */
  list: 'enabled' | 'disabled';
  /** The field of {@link TokenLists}. */
  field: keyof TokenLists;
}

/**
 * The four lists, in the order of {@link TokenLists}: the events table's list columns, and what a
 * breakdown `by` reads (`purpose`: the first two, `vendor`: the last two).
 *
 * @example
 * LIST_COLUMNS[0]; // { column: 'purposes_enabled', group: 'purposes', list: 'enabled', field: 'purposesEnabled' }
 */
export const LIST_COLUMNS: readonly ListColumn[] = [
  { column: 'purposes_enabled', group: 'purposes', list: 'enabled', field: 'purposesEnabled' },
  { column: 'purposes_disabled', group: 'purposes', list: 'disabled', field: 'purposesDisabled' },
  { column: 'vendors_enabled', group: 'vendors', list: 'enabled', field: 'vendorsEnabled' },
  { column: 'vendors_disabled', group: 'vendors', list: 'disabled', field: 'vendorsDisabled' },
];

const NO_LISTS: TokenLists = { purposesEnabled: null, purposesDisabled: null, vendorsEnabled: null, vendorsDisabled: null };

/**
 * Reads a token's lists (see {@link TokenLists}), whatever its key order, whitespace or missing keys; an
 * entry that is not a string is left out (it still counts for consent, `parseToken`).
 *
 * @example
 * tokenLists('{"vendors":{"enabled":["V1"]}}').vendorsEnabled; // ['V1']
 * tokenLists('{"vendors":{"enabled":["V1"]}}').purposesEnabled; // null: no such list
 * tokenLists('{not json').vendorsEnabled; // null
 */
export function tokenLists(text: string): TokenLists {
  let token: unknown;
  try {
    token = JSON.parse(text);
  } catch {
    return NO_LISTS;
  }
  return tokenListsOf(token);
}

/**
 * {@link tokenLists} of a token already parsed from its JSON text.
 *
 * @example
 * tokenListsOf({ vendors: { enabled: ['V1', 2] } }).vendorsEnabled; // ['V1']
 */
export function tokenListsOf(token: unknown): TokenLists {
  if (typeof token !== 'object' || token === null || Array.isArray(token)) return NO_LISTS;
  const lists = { ...NO_LISTS };
  for (const { group, list, field } of LIST_COLUMNS) lists[field] = namesOf((token as Record<string, unknown>)[group], list);
  return lists;
}

function namesOf(group: unknown, key: 'enabled' | 'disabled'): string[] | null {
  if (typeof group !== 'object' || group === null) return null;
  const list = (group as Record<string, unknown>)[key];
  if (!Array.isArray(list)) return null;
  return [...new Set(list.filter((entry): entry is string => typeof entry === 'string'))];
}
