import type { RejectReason } from '../report/Tally.ts';

/**
 * The event types the metrics count, in type-code order. Any other `type` rejects the line.
 *
 * @example
 * EVENT_TYPES[0]; // 'pageview'
 * EVENT_TYPES.indexOf('consent.given'); // 2, the type code
 */
export const EVENT_TYPES = ['pageview', 'consent.asked', 'consent.given'] as const;
/**
 * One of {@link EVENT_TYPES}.
 *
 * @example
 * const type: EventType = 'consent.asked';
 */
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The fields the job reads from one accepted line.
 *
 * @example
 * const event = parseEventJson(line);
 * if (!('reason' in event)) console.log(event.id, EVENT_TYPES[event.type]);
 */
export interface EventFields {
  /** The event id, a non-empty string. */
  id: string;
  /** The domain, or null when absent or not a string. */
  domain: string | null;
  /** Index into {@link EVENT_TYPES}. */
  type: number;
  /** `user.id`, or null when absent or not a string. */
  userId: string | null;
  /** `user.country`, or null when absent or not a string. */
  country: string | null;
  /** The raw token JSON text. */
  token: string | null;
  /** The `datetime`, or null when absent or not a string. */
  datetime: string | null;
}

/**
 * Why a line was left out, and what was found instead.
 *
 * @example
 * parseEventJson('[1]'); // { reason: 'invalid_json', detail: 'expected a JSON object, found [1]' }
 */
export interface Rejection {
  /** The report reason the line counts under. */
  reason: RejectReason;
  /** What was expected and what was found. */
  detail: string;
}

/**
 * The exact reading of one line: JSON.parse, then the SPEC's rules. The fast byte scanner hands every
 * line it cannot match with certainty to this function, so results never depend on the path taken.
 *
 * @example
 * parseEventJson('{"id":"1","type":"pageview"}'); // { id: '1', type: 0, domain: null, ... }
 */
export function parseEventJson(text: string): EventFields | Rejection {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    return { reason: 'invalid_json', detail: (error as Error).message };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { reason: 'invalid_json', detail: `expected a JSON object, found ${describeJson(event)}` };
  }
  const { id, domain, type, user, datetime } = event as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') {
    return { reason: 'missing_id', detail: `expected a non-empty string "id", found ${describeJson(id)}` };
  }
  const typeCode = EVENT_TYPES.indexOf(type as EventType);
  if (typeCode < 0) {
    return { reason: 'unknown_type', detail: `expected "type" pageview, consent.asked or consent.given, found ${describeJson(type)}` };
  }
  const userFields = typeof user === 'object' && user !== null ? (user as Record<string, unknown>) : {};
  return {
    id,
    domain: stringOrNull(domain),
    type: typeCode,
    userId: stringOrNull(userFields.id),
    country: stringOrNull(userFields.country),
    token: tokenText(userFields.token),
    datetime: stringOrNull(datetime),
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The token is a JSON string; a producer that embeds it as an object gets it re-serialized, not lost. */
function tokenText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
