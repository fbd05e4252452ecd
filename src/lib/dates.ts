import { tz } from '@date-fns/tz';
import { format } from 'date-fns';

/** The calendar date (YYYY-MM-DD) of an instant in Europe/London, where the partnership works. */
export function londonDate(instant: Date): string {
  return format(instant, 'yyyy-MM-dd', { in: tz('Europe/London') });
}

/** Today's date (YYYY-MM-DD) in Europe/London. */
export function londonToday(): string {
  return londonDate(new Date());
}
