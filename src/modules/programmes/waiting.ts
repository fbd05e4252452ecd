/**
 * When a person waiting for a group programme can expect to start (SPEC §2 step 9): the
 * waiting list is first come, first served, filling the free places of the courses ahead
 * in date order. Pure.
 */
export interface UpcomingCourse {
  id: string;
  startsOn: string;
  places: number;
  enrolled: number;
}

/** The start date of the course the person `position` (1 = first) on the waiting list would join, or null if none has room. */
export function estimatedStart(courses: readonly UpcomingCourse[], position: number): string | null {
  let ahead = position;
  for (const course of [...courses].sort((a, b) => a.startsOn.localeCompare(b.startsOn))) {
    const free = Math.max(0, course.places - course.enrolled);
    if (ahead <= free) return course.startsOn;
    ahead -= free;
  }
  return null;
}

/** The first course, in date order, with a free place now. */
export function courseWithRoom(courses: readonly UpcomingCourse[]): UpcomingCourse | null {
  return [...courses].sort((a, b) => a.startsOn.localeCompare(b.startsOn)).find((c) => c.enrolled < c.places) ?? null;
}
