import { describe, expect, it } from 'vitest';
import { courseWithRoom, estimatedStart } from './waiting.js';

const courses = [
  { id: 'b', startsOn: '2027-03-01', places: 10, enrolled: 8 },
  { id: 'a', startsOn: '2027-01-11', places: 10, enrolled: 10 },
  { id: 'c', startsOn: '2027-05-03', places: 10, enrolled: 0 },
];

describe('programme waiting list', () => {
  it('places the waiting list into the free places of the courses ahead, in date order', () => {
    expect(estimatedStart(courses, 1)).toBe('2027-03-01');
    expect(estimatedStart(courses, 2)).toBe('2027-03-01');
    expect(estimatedStart(courses, 3)).toBe('2027-05-03');
    expect(estimatedStart(courses, 12)).toBe('2027-05-03');
    expect(estimatedStart(courses, 13)).toBeNull();
    expect(estimatedStart([], 1)).toBeNull();
  });

  it('finds the earliest course with a place free now', () => {
    expect(courseWithRoom(courses)?.id).toBe('b');
    expect(courseWithRoom([{ id: 'a', startsOn: '2027-01-11', places: 1, enrolled: 1 }])).toBeNull();
  });
});
