import type { RejectReason } from '../report/Tally.ts';

/** The event types the metrics count. Any other `type` rejects the line. */
export const EVENT_TYPES = ['pageview', 'consent.asked', 'consent.given'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** The fields of one file's accepted lines, a column each, in line order. */
export class EventColumns {
  readonly id: string[] = [];
  readonly domain: (string | null)[] = [];
  readonly type: string[] = [];
  readonly userId: (string | null)[] = [];
  readonly country: (string | null)[] = [];
  readonly token: (string | null)[] = [];
  readonly line: number[] = [];

  constructor(readonly file: string) {}

  get length(): number {
    return this.id.length;
  }

  /**
   * Parses one non-blank line and appends its fields. Returns why it was rejected, or `null` when it
   * was appended. This is the exact (slow) path: JSON.parse of the whole line.
   */
  appendJsonLine(text: string, lineNumber: number): { reason: RejectReason; detail: string } | null {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      return { reason: 'invalid_json', detail: (error as Error).message };
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      return { reason: 'invalid_json', detail: `expected a JSON object, found ${describeJson(event)}` };
    }
    const { id, domain, type, user } = event as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') {
      return { reason: 'missing_id', detail: `expected a non-empty string "id", found ${describeJson(id)}` };
    }
    if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
      return { reason: 'unknown_type', detail: `expected "type" pageview, consent.asked or consent.given, found ${describeJson(type)}` };
    }
    const userFields = typeof user === 'object' && user !== null ? (user as Record<string, unknown>) : {};
    this.id.push(id);
    this.domain.push(stringOrNull(domain));
    this.type.push(type);
    this.userId.push(stringOrNull(userFields.id));
    this.country.push(stringOrNull(userFields.country));
    this.token.push(tokenText(userFields.token));
    this.line.push(lineNumber);
    return null;
  }
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
