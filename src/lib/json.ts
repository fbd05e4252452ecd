/** A value for a jsonb column. Always stringify: the drivers would write a JS array as a SQL array. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}
