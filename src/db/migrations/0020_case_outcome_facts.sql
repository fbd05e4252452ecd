-- Outcomes at exit at national volume (bench/reports): each case carries its latest intake
-- and exit outcome measures (how safe, wellbeing, how often abuse happened as a score),
-- kept by the database as measures are recorded, so a quarter's closed cases answer the
-- report from one index range instead of a search through every outcome measure.

-- How often abuse happened, as the sum over its types (none 0, once 1, monthly 2, weekly 3, daily 4).
create function abuse_frequency_score(abuse jsonb) returns int language sql immutable strict as $$
  select coalesce(sum(case a.value->>'frequency' when 'once' then 1 when 'monthly' then 2 when 'weekly' then 3 when 'daily' then 4 else 0 end), 0)::int
    from jsonb_each(abuse) a
$$;

alter table cases
  add column intake_feeling_safe int,
  add column intake_wellbeing int,
  add column intake_abuse int,
  add column intake_recorded_at timestamptz,
  add column exit_feeling_safe int,
  add column exit_wellbeing int,
  add column exit_abuse int,
  add column exit_recorded_at timestamptz;

update cases k
   set intake_feeling_safe = o.feeling_safe, intake_wellbeing = o.wellbeing, intake_abuse = abuse_frequency_score(o.abuse), intake_recorded_at = o.recorded_at
  from (select distinct on (case_id) case_id, feeling_safe, wellbeing, abuse, recorded_at from outcome_measures
         where stage = 'intake' order by case_id, recorded_at desc) o
 where o.case_id = k.id;
update cases k
   set exit_feeling_safe = o.feeling_safe, exit_wellbeing = o.wellbeing, exit_abuse = abuse_frequency_score(o.abuse), exit_recorded_at = o.recorded_at
  from (select distinct on (case_id) case_id, feeling_safe, wellbeing, abuse, recorded_at from outcome_measures
         where stage = 'exit' order by case_id, recorded_at desc) o
 where o.case_id = k.id;

create function case_outcome_facts() returns trigger language plpgsql as $$
begin
  if new.stage = 'intake' then
    update cases
       set intake_feeling_safe = new.feeling_safe, intake_wellbeing = new.wellbeing, intake_abuse = abuse_frequency_score(new.abuse), intake_recorded_at = new.recorded_at
     where id = new.case_id and (intake_recorded_at is null or intake_recorded_at <= new.recorded_at);
  else
    update cases
       set exit_feeling_safe = new.feeling_safe, exit_wellbeing = new.wellbeing, exit_abuse = abuse_frequency_score(new.abuse), exit_recorded_at = new.recorded_at
     where id = new.case_id and (exit_recorded_at is null or exit_recorded_at <= new.recorded_at);
  end if;
  return null;
end $$;
create trigger outcome_measures_case_facts after insert on outcome_measures
  for each row execute function case_outcome_facts();

drop index cases_closed;
create index cases_closed on cases (partnership_id, closed_at)
  include (organisation_id, person_id, closure_reason, intake_feeling_safe, intake_wellbeing, intake_abuse, exit_feeling_safe, exit_wellbeing, exit_abuse)
  where closed_at is not null;
