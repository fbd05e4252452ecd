-- The actor's partnership, organisation and user asked once per statement by every policy,
-- not once per row (issue 3, bench/flow with history, 2026-12-02). The policies compared
-- each row with app_partnership(), app_org() or app_user(), which the planner inlines as
-- `nullif(current_setting(...), '')::uuid`: looked up and parsed again for every row a
-- statement reads. On one row that costs nothing worth counting (tried in the third session:
-- no change to the flow), but a statement that reads thousands of rows pays it thousands of
-- times: the caseload beside each IDVA service in pathways, on 100,000 contacts of history,
-- spent ~9 of its ~16 ms there. Wrapped as `(select app_org())` each is an init-plan, worked
-- out once per statement, and still usable as an index condition. The policies say the same
-- as before; only where the three calls are not already inside a `select` are they wrapped.
do $$
declare
  policy record;
  using_expr text;
  wrap constant text := '(?<!SELECT )\m(app_partnership|app_org|app_user)\(\)';
begin
  for policy in
    select p.polname, c.relname, pg_get_expr(p.polqual, p.polrelid) as qual
      from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public'
  loop
    using_expr := regexp_replace(policy.qual, wrap, '(SELECT \1())', 'g');
    if using_expr is distinct from policy.qual then
      execute format('alter policy %I on %I using (%s)', policy.polname, policy.relname, using_expr);
    end if;
  end loop;
end $$;
