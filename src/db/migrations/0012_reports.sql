-- Reports and dashboards (issue 11; SPEC §7).

-- Equality monitoring, recorded about a person with their agreement (Equality Act 2010's
-- protected characteristics as the ONS 2021 census asks them). Null: not asked yet;
-- every question can be answered 'prefer_not_to_say'. Age comes from date_of_birth.
alter table people
  add column sex text check (sex in ('female', 'male', 'prefer_not_to_say')),
  add column gender_same_as_birth text check (gender_same_as_birth in ('yes', 'no', 'prefer_not_to_say')),
  add column ethnicity text check (ethnicity in ('asian', 'black', 'mixed', 'white', 'other', 'prefer_not_to_say')),
  add column disability text check (disability in ('yes', 'no', 'prefer_not_to_say')),
  add column sexual_orientation text check (sexual_orientation in ('straight', 'gay_lesbian', 'bisexual', 'other', 'prefer_not_to_say')),
  add column religion text check (religion in ('none', 'christian', 'buddhist', 'hindu', 'jewish', 'muslim', 'sikh', 'other', 'prefer_not_to_say'));

-- The level of a contact's latest risk assessment, kept by the database itself so that
-- reports over millions of contacts filter and count by risk without a lateral lookup.
alter table contacts add column risk_level text;
update contacts c
   set risk_level = (select a.level from risk_assessments a where a.contact_id = c.id order by a.completed_at desc, a.id desc limit 1);
create function contact_risk_level() returns trigger language plpgsql as $$
begin
  update contacts set risk_level = new.level where id = new.contact_id;
  return new;
end $$;
create trigger risk_assessments_contact_level after insert on risk_assessments
  for each row execute function contact_risk_level();

-- A period's rows for one partnership, with what the measures group by.
create index contacts_period on contacts (partnership_id, received_at)
  include (channel, caller_type, risk_level, organisation_id, person_id);
create index referrals_period on referrals (partnership_id, created_at);
create index cases_closed on cases (partnership_id, closed_at) where closed_at is not null;
create index cases_caseworker on cases (caseworker_id, opened_at) where caseworker_id is not null;
