/**
 * Public holidays of a country or one of its states, from the date-holidays calendar (its rules
 * include each region's observed and substitute days). Pure: a holiday list depends only on the
 * region, the holiday types counted and the year, so each is computed once and kept.
 *
 * Dates are local calendar dates "YYYY-MM-DD" of the region: a holiday is a whole day there.
 */
import Holidays from 'date-holidays';

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
const catalogue = new Holidays();
const byRegionYear = new Map<string, ReadonlyMap<string, string>>();

/** The country codes the calendar knows, with their names. */
export function knownCountries(): Readonly<Record<string, string>> {
  return catalogue.getCountries('en');
}

/** The state codes the calendar knows for `country` (none for a country without states). */
export function knownStates(country: string): Readonly<Record<string, string>> {
  return catalogue.getStates(country, 'en') ?? {};
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
  const calendar =
    region.state === undefined
      ? new Holidays(region.country, { languages: ['en'] })
      : new Holidays(region.country, region.state, { languages: ['en'] });
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
