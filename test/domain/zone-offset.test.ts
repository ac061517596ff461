import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { offsetAt } from '../../domain/schedule.js';

// Whole-hour, half-hour (Lord Howe, a 30-minute change) and 45-minute zones, and one without changes.
const ZONES = [
  'America/Toronto',
  'Europe/London',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Pacific/Chatham',
  'Asia/Kathmandu',
  'UTC',
].map((name) => IANAZone.create(name));

// Offset changes of 2026 (UTC), each probed a millisecond and a minute either side.
const CHANGES = [
  '2026-03-08T07:00:00Z', // Toronto, spring forward
  '2026-11-01T06:00:00Z', // Toronto, fall back
  '2026-03-29T01:00:00Z', // London
  '2026-04-04T15:00:00Z', // Lord Howe, 30 minutes back
  '2026-10-03T15:30:00Z', // Lord Howe, 30 minutes forward
  '2026-04-04T13:45:00Z', // Chatham
].map(Date.parse);

describe('offsetAt', () => {
  it("is luxon's offset at every instant, in any order of asking, offset changes included", () => {
    const instant = fc.oneof(
      fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
      fc
        .tuple(fc.constantFrom(...CHANGES), fc.constantFrom(-60_000, -1, 0, 1, 60_000, 1_799_999, 3_599_999))
        .map(([at, delta]) => at + delta),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...ZONES), instant), { minLength: 1, maxLength: 30 }),
        (asks) => {
          for (const [zone, at] of asks)
            expect(offsetAt(zone, at), `${zone.name} ${new Date(at).toISOString()}`).toBe(zone.offset(at));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    // zone, instant, offset in minutes
    ['America/Toronto', '2026-03-08T06:59:59.999Z', -300],
    ['America/Toronto', '2026-03-08T07:00:00.000Z', -240],
    ['Australia/Lord_Howe', '2026-04-04T14:59:59.999Z', 660],
    ['Australia/Lord_Howe', '2026-04-04T15:00:00.000Z', 630],
  ])('%s at %s: %i', (name, iso, minutes) => {
    const zone = IANAZone.create(name);
    // The hour before asked first, so a remembered hour is what answers.
    offsetAt(zone, Date.parse(iso) - 3_600_000);
    expect(offsetAt(zone, Date.parse(iso))).toBe(minutes);
  });
});
