import { EVENT_TYPES, badUserInput } from '@ipay/platform';

/** Outbound webhook endpoint rules (pure): limits and the event-type and description inputs. The SQL is in app/webhooks/. */

export const MAX_ENDPOINTS_PER_MERCHANT = 16;
export const MAX_DESCRIPTION_LENGTH = 500;
export const MAX_GRACE_SECONDS = 7 * 86_400;
/** A range replay re-sends at most this many events; narrow the range for more. */
export const MAX_REPLAY_EVENTS = 1000;
export const ALL_EVENTS = '*';

export function normalizeEventTypes(types: readonly string[], field: string): string[] {
  const unique = [...new Set(types.map((t) => t.trim()))];
  if (!unique.length) throw badUserInput(field, `give at least one event type (or "${ALL_EVENTS}" for all)`);
  const unknown = unique.filter((t) => t !== ALL_EVENTS && !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length) throw badUserInput(field, `unknown event type ${unknown.map((t) => `"${t}"`).join(', ')}; known: ${EVENT_TYPES.join(', ')}`);
  return unique.includes(ALL_EVENTS) ? [ALL_EVENTS] : unique.sort();
}

export function normalizeDescription(description: string | null | undefined, field: string): string | null {
  const text = description?.trim() ?? '';
  if (text.length > MAX_DESCRIPTION_LENGTH) throw badUserInput(field, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  return text || null;
}
