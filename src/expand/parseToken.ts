/**
 * What one token string says.
 *
 * @example
 * const { consent, purposesEnabled }: TokenFacts = parseToken('{"purposes":{"enabled":["ads"]}}'); // true, 1
 */
export interface TokenFacts {
  /** `false` when the token is not JSON, or not a JSON object. */
  valid: boolean;
  /** At least one entry in `purposes.enabled`. */
  consent: boolean;
  /** Entries in `purposes.enabled` (consent when above 0). */
  purposesEnabled: number;
  /** Entries in `purposes.disabled`. */
  purposesDisabled: number;
  /** Entries in `vendors.enabled`. */
  vendorsEnabled: number;
  /** Entries in `vendors.disabled`. */
  vendorsDisabled: number;
  /** Why it is invalid, for the report. */
  problem?: string;
}

const INVALID = (problem: string): TokenFacts => ({
  valid: false, consent: false, purposesEnabled: 0, purposesDisabled: 0, vendorsEnabled: 0, vendorsDisabled: 0, problem,
});

/**
 * Reads a token string `{"vendors":{"enabled":[],"disabled":[]},"purposes":{"enabled":[],"disabled":[]}}`
 * whatever its key order, whitespace or missing keys. A missing list counts as empty; the JSON text
 * `null` is a valid token without consent.
 *
 * @example
 * parseToken('{"purposes":{"enabled":["analytics"]}}').consent; // true
 * parseToken('{not json').valid;                                 // false
 */
export function parseToken(text: string): TokenFacts {
  let token: unknown;
  try {
    token = JSON.parse(text);
  } catch (error) {
    return INVALID(`token is not valid JSON: ${(error as Error).message}`);
  }
  return tokenFactsOf(token);
}

/**
 * {@link parseToken} of a token already parsed from its JSON text.
 *
 * @example
 * tokenFactsOf({ purposes: { enabled: ['ads'] } }).consent; // true
 */
export function tokenFactsOf(token: unknown): TokenFacts {
  if (token === null) return { ...INVALID(''), valid: true, problem: undefined };
  if (typeof token !== 'object' || Array.isArray(token)) return INVALID('token is not a JSON object');
  const { vendors, purposes } = token as Record<string, unknown>;
  const purposesEnabled = listLength(purposes, 'enabled');
  return {
    valid: true,
    consent: purposesEnabled > 0,
    purposesEnabled,
    purposesDisabled: listLength(purposes, 'disabled'),
    vendorsEnabled: listLength(vendors, 'enabled'),
    vendorsDisabled: listLength(vendors, 'disabled'),
  };
}

function listLength(group: unknown, key: 'enabled' | 'disabled'): number {
  if (typeof group !== 'object' || group === null) return 0;
  const list = (group as Record<string, unknown>)[key];
  return Array.isArray(list) ? list.length : 0;
}
