-- Reports over millions of referrals (bench/reports): what the measures group referrals by,
-- kept on the referral row itself by the database, so a quarter's report reads one range of
-- referrals instead of joining each to its contact and its events.

alter table referrals
  add column contact_received_at timestamptz,
  -- the contact's first referral (a re-routed replacement is never first)
  add column first_for_contact boolean,
  -- the receiving service's first decision (accepted, declined, redirected) and its reason
  add column decision text,
  add column decision_reason text;

update referrals r set contact_received_at = c.received_at from contacts c where c.id = r.contact_id;
update referrals r
   set first_for_contact = r.replaces_referral_id is null and not exists (
         select 1 from referrals e where e.contact_id = r.contact_id and e.replaces_referral_id is null and (e.created_at, e.id) < (r.created_at, r.id));
update referrals r set decision = d.to_state, decision_reason = d.reason_code
  from (select distinct on (referral_id) referral_id, to_state, reason_code from referral_events
         where to_state in ('accepted', 'declined', 'redirected') order by referral_id, id) d
 where d.referral_id = r.id;

create function referral_report_facts() returns trigger language plpgsql as $$
begin
  select c.received_at into new.contact_received_at from contacts c where c.id = new.contact_id;
  new.first_for_contact := new.replaces_referral_id is null and not exists (
    select 1 from referrals e where e.contact_id = new.contact_id and e.replaces_referral_id is null);
  return new;
end $$;
create trigger referrals_report_facts before insert on referrals
  for each row execute function referral_report_facts();

create function referral_decision() returns trigger language plpgsql as $$
begin
  if new.to_state in ('accepted', 'declined', 'redirected') then
    update referrals set decision = new.to_state, decision_reason = new.reason_code where id = new.referral_id and decision is null;
  end if;
  return new;
end $$;
create trigger referral_events_decision after insert on referral_events
  for each row execute function referral_decision();

drop index referrals_period;
create index referrals_period on referrals (partnership_id, created_at)
  include (risk_level, organisation_id, service_id, state, contact_received_at, first_for_contact, first_contact_at, decision, decision_reason);
-- A person's contacts in time order: "had they made contact in the 12 months before?"
create index contacts_person_time on contacts (person_id, received_at) where person_id is not null;
