-- The restricted people hidden from the actor, worked out once per transaction rather than
-- once per statement (issue 3, bench/flow, 2026-12-02). Every statement on a table with
-- person data asks app_hidden_people() through its `restricted` policy; the flow's 50-odd
-- statements asked it 24 times a flow at ~30-70 µs a time. The answer is kept in a
-- transaction-local setting, keyed by the actor's partnership and user (a transaction that
-- changes its actor works it out again), and forgotten by any change the transaction itself
-- makes to what it depends on: a person restricted or unrestricted, a named user, a break of
-- the glass (the triggers below). A restriction another session commits while this
-- transaction runs applies from this actor's next transaction, a few milliseconds on: the
-- list is as of the transaction's first statement that asked for it.
create or replace function app_hidden_people() returns uuid[] language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
  known text := current_setting('app.hidden_people', true);
  actor text := coalesce(app_partnership()::text, '') || '/' || coalesce(app_user()::text, '');
  hidden uuid[];
begin
  if known is not null and known <> '' and split_part(known, '=', 1) = actor then
    return split_part(known, '=', 2)::uuid[];
  end if;
  hidden := (select coalesce(array_agg(p.id), '{}') from people p
              where p.partnership_id = app_partnership() and p.restricted_at is not null
                and not exists (select 1 from person_named_users n where n.person_id = p.id and n.user_id = app_user())
                and not exists (select 1 from break_glass b where b.person_id = p.id and b.user_id = app_user() and b.expires_at > now()));
  perform set_config('app.hidden_people', actor || '=' || hidden::text, true);
  return hidden;
end $$;

create function app_forget_hidden_people() returns trigger language plpgsql as $$
begin
  perform set_config('app.hidden_people', '', true);
  return null;
end $$;

create trigger people_forget_hidden after update of restricted_at or delete on people
  for each statement execute function app_forget_hidden_people();
create trigger person_named_users_forget_hidden after insert or update or delete on person_named_users
  for each statement execute function app_forget_hidden_people();
create trigger break_glass_forget_hidden after insert or update or delete on break_glass
  for each statement execute function app_forget_hidden_people();
