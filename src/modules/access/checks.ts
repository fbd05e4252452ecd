/**
 * The service layer's access checks, and the one way to switch them off: in tests, to show
 * that row-level security alone still stops what they stop (issue 9: the access matrix,
 * test/access-matrix.test.ts, runs once with them and once without).
 *
 * Switched off: role permissions (`can`, `requirePermission`, so every route and page), a
 * contact's reach (`mayActOnContact`, `visibleContacts`), a case's organisation (cases'
 * `loadCase`), how one stands to a referral (`relationTo`), and whose subject access one
 * may export. The database's policies (0021_row_security.sql) stay on.
 */
let on = true;

export function serviceChecksOn(): boolean {
  return on;
}

/** Switches the checks off until the returned function is called. Refused outside a test run. */
export function switchOffServiceChecksForTest(): () => void {
  if (!process.env.VITEST) throw new Error('The service checks can be switched off only in a test run');
  on = false;
  return () => {
    on = true;
  };
}
