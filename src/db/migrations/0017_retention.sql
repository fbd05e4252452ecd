-- Retention and subject access (issue 9): what is past a partnership's retention period is
-- anonymised in place (docs/retention.md): the rows stay, with their ids, dates, channels,
-- levels, states and outcome figures, so reports still count them; names, dates of birth,
-- numbers, addresses and free text go. The audit trail is never changed.

-- When a person, or a contact never linked to one, was anonymised (null: not yet).
alter table people add column anonymised_at timestamptz;
alter table contacts add column anonymised_at timestamptz;

-- "Is this person still active?" looks up their cases by person.
create index cases_person on cases (person_id, closed_at);
create index contacts_unlinked on contacts (partnership_id, received_at) where person_id is null and anonymised_at is null;

-- One row per day the daily retention run was claimed: the primary key makes it once a day
-- however many spoc processes try at the same moment.
create table retention_runs (
  run_on date primary key,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  -- counts only (people, contacts, answers per partnership): never personal data
  summary jsonb not null default '{}'::jsonb
);

-- Tables that are append-only (notes, safety plans, checklists, referral history) still
-- refuse every delete and every update, except the anonymiser's: in a transaction that has
-- said so (app.anonymising), an update may change only the columns named in the trigger's
-- arguments, every other column staying as it was.
create function refuse_change_except_anonymising() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and current_setting('app.anonymising', true) = 'on'
     and (to_jsonb(new) - tg_argv) = (to_jsonb(old) - tg_argv) then
    return new;
  end if;
  raise exception '% is append-only', tg_table_name using errcode = 'P0001';
end $$;

drop trigger case_notes_append_only on case_notes;
create trigger case_notes_append_only before update or delete on case_notes
  for each row execute function refuse_change_except_anonymising('body');

drop trigger safety_plans_append_only on safety_plans;
create trigger safety_plans_append_only before update or delete on safety_plans
  for each row execute function refuse_change_except_anonymising('content');

drop trigger risk_assessments_immutable on risk_assessments;
create trigger risk_assessments_immutable before update or delete on risk_assessments
  for each row execute function refuse_change_except_anonymising('judgement_reason');

drop trigger referral_events_append_only on referral_events;
create trigger referral_events_append_only before update or delete on referral_events
  for each row execute function refuse_change_except_anonymising('reason_text');
