-- Row security without policies nested in policies (issue 3, bench/flow, 2026-12-02). A
-- policy that asked `exists (select 1 from contacts c where c.id = t.contact_id)` ran the
-- contacts' own policies inside it, and those read contact_shares and marac_referrals under
-- theirs: an update of one referral planned, and started at every execution, about 170
-- sub-plans and init-plans (executor start-up was a quarter of PostgreSQL's time under the
-- flow). Each such question is now one call of a security-definer function that asks it of
-- the rows directly. The answers are the same where they matter:
--   - the contact a row hangs off must be in the actor's partnership and reach (its owner,
--     its handler, an organisation it is shared with or sent a referral of it): what
--     app_reaches_contact (0021, 0023) already asks;
--   - what else the contacts' policies added is asked by each table's own policies: the
--     partnership and roles (fence), a purpose (purpose) and a restricted person (restricted);
--     person_match_decisions gains the restricted check on its contact, which it had through
--     the contacts' policies;
--   - a contact was also seen, while a MARAC list is read, through the list (marac_list); the
--     rows hanging off it no longer are (the list reads contacts and risk assessments only,
--     which keep that policy).

-- Whether a referral is in the actor's reach as the referrals' policies say (fence,
-- reach and restricted), for what hangs off a referral.
create function app_reaches_referral(referral uuid) returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
  found_referral record;
begin
  select r.organisation_id, r.contact_id into found_referral from referrals r where r.id = referral and r.partnership_id = app_partnership();
  if not found then return false; end if;
  if not (found_referral.organisation_id = app_org() or app_reaches_contact(found_referral.contact_id)) then return false; end if;
  return found_referral.contact_id is null or app_restriction_lifted() or not (found_referral.contact_id = any (app_hidden_contacts()));
end $$;

-- Whether one of a person's contacts is in the actor's reach.
create function app_reaches_person(the_person uuid) returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
  return exists (select 1 from contacts c where c.person_id = the_person and app_reaches_contact(c.id));
end $$;

-- Whether a MARAC referral the actor may see lists this contact (and, given, this risk
-- assessment): the marac_referrals' reach (the hub, an attending agency, whoever reaches the
-- contact). A contact has at most one MARAC referral.
create function app_marac_lists(contact uuid, assessment uuid default null) returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
  return exists (select 1 from marac_referrals m
                  where m.contact_id = contact and (assessment is null or m.risk_assessment_id = assessment)
                    and m.partnership_id = app_partnership()
                    and (app_in_hub() or app_attends(m.meeting_id) or app_reaches_contact(m.contact_id)));
end $$;

alter policy reach on risk_assessments using (app_reaches_contact(contact_id));
alter policy reach on contact_links using (app_reaches_contact(contact_id));
alter policy reach on person_match_decisions using (app_reaches_contact(contact_id));
alter policy reach on calls using (organisation_id = app_org() or app_reaches_contact(contact_id));
alter policy reach on referrals using (organisation_id = app_org() or app_reaches_contact(contact_id));
alter policy reach on referral_events using (app_reaches_referral(referral_id));
alter policy reach on contact_attempts using (app_reaches_referral(referral_id));
alter policy reach on escalations using (app_reaches_referral(referral_id));
alter policy reach on people using (organisation_id = app_org() or (select app_in_hub())
  or exists (select 1 from cases k where k.person_id = people.id and k.organisation_id = app_org())
  or app_reaches_person(id));
alter policy marac_list on contacts using (app_purpose() = 'marac_list' and app_marac_lists(id));
alter policy marac_list on risk_assessments using (app_purpose() = 'marac_list' and app_marac_lists(contact_id, id));

create policy restricted_contact on person_match_decisions as restrictive to spoc_app
  using ((select app_restriction_lifted()) or contact_id <> all ((select app_hidden_contacts())::uuid[]));
