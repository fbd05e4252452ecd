import Holidays from 'date-holidays';

const englandAndWales = new Holidays('GB', 'ENG');
const cache = new Map<number, Set<string>>();

/** Is this local date ('YYYY-MM-DD') a bank holiday in England and Wales (substitute days included)? */
export function isBankHoliday(date: string): boolean {
  const year = Number(date.slice(0, 4));
  let days = cache.get(year);
  if (!days) {
    days = new Set(
      englandAndWales
        .getHolidays(year)
        .filter((holiday) => holiday.type === 'public')
        .map((holiday) => holiday.date.slice(0, 10)),
    );
    cache.set(year, days);
  }
  return days.has(date);
}
