/**
 * Public holidays of a country or one of its states, from the date-holidays calendar (its rules
 * include each region's observed and substitute days). Pure: a holiday list depends only on the
 * region, the holiday types counted and the year, so each is computed once and kept.
 *
 * Dates are local calendar dates "YYYY-MM-DD" of the region: a holiday is a whole day there.
 */
import type Holidays from 'date-holidays';

export const HOLIDAY_TYPES = ['public', 'bank', 'optional', 'school', 'observance'] as const;
export type HolidayType = (typeof HOLIDAY_TYPES)[number];
/** Days off for most businesses: the region's public holidays and bank holidays. */
export const DEFAULT_HOLIDAY_TYPES: readonly HolidayType[] = ['public', 'bank'];

export interface HolidayRegion {
  /** ISO 3166-1 alpha-2 code, e.g. "CA". */
  country: string;
  /** The state, province or region's code within the country, e.g. "ON". */
  state?: string | undefined;
  types?: readonly HolidayType[] | undefined;
}

const DAY = 86_400_000;
const byRegionYear = new Map<string, ReadonlyMap<string, string>>();

let library: typeof Holidays | undefined;
let catalogue: Holidays | undefined;

/**
 * The calendar library, loaded on the first question about holidays rather than on import: with
 * its data it is half of each function's bundle and some 55 ms of CPU at every cold start
 * (docs/benchmark.md), and most roles never ask. A `require` inside the call (not an import) is
 * what keeps it lazy: the bundler wraps the module so that it initializes on that call, and the
 * callers here stay synchronous.
 */
function holidaysLibrary(): typeof Holidays {
  library ??= require('date-holidays') as typeof Holidays;
  return library;
}

function theCatalogue(): Holidays {
  catalogue ??= new (holidaysLibrary())();
  return catalogue;
}

/** The country codes the calendar knows, with their names. */
export function knownCountries(): Readonly<Record<string, string>> {
  return theCatalogue().getCountries('en');
}

/** The state codes the calendar knows for `country` (none for a country without states). */
export function knownStates(country: string): Readonly<Record<string, string>> {
  return theCatalogue().getStates(country, 'en') ?? {};
}

/**
 * The region's holidays of the year `year` as local date → name. A holiday lasting several days
 * lists each of its dates.
 *
 * @example regionHolidays({ country: 'CA', state: 'ON' }, 2026).get('2026-12-26') // => 'Boxing Day'
 */
export function regionHolidays(region: HolidayRegion, year: number): ReadonlyMap<string, string> {
  const types = region.types ?? DEFAULT_HOLIDAY_TYPES;
  const key = `${region.country}/${region.state ?? ''}/${[...types].sort().join(',')}/${year}`;
  const known = byRegionYear.get(key);
  if (known !== undefined) return known;
  const Calendar = holidaysLibrary();
  const calendar =
    region.state === undefined
      ? new Calendar(region.country, { languages: ['en'] })
      : new Calendar(region.country, region.state, { languages: ['en'] });
  const dates = new Map<string, string>();
  for (const holiday of calendar.getHolidays(year, 'en')) {
    if (!types.includes(holiday.type)) continue;
    const first = Date.parse(`${holiday.date.slice(0, 10)}T00:00:00Z`);
    const length = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / DAY));
    for (let day = 0; day < length; day++) {
      const date = new Date(first + day * DAY).toISOString().slice(0, 10);
      const earlier = dates.get(date);
      dates.set(date, earlier === undefined ? holiday.name : `${earlier}, ${holiday.name}`);
    }
  }
  byRegionYear.set(key, dates);
  return dates;
}
