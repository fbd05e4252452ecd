-- Reports at national volume (bench/reports), two more facts kept by the database where a
-- quarter's report reads them in one pass instead of a search per row:
--  - each contact knows when its person last made contact before it (repeat victims,
--    equality monitoring), kept as contacts are recorded and linked to people;
--  - each referral knows whether its response clocks were breached (clock breaches), set as
--    the escalation is raised.

alter table contacts add column previous_contact_at timestamptz;

update contacts c set previous_contact_at = p.previous
  from (select id, lag(received_at) over (partition by person_id order by received_at, id) as previous
          from contacts where person_id is not null) p
 where p.id = c.id and p.previous is not null;

-- The latest contact of a person before a moment (ties broken by id, as the backfill above).
-- (Arguments are named apart from contacts' columns: contacts has a column "person".)
create function contact_previous(of_person uuid, before_at timestamptz, before_id uuid) returns timestamptz
  language sql stable as $$
    select p.received_at from contacts p
     where p.person_id = of_person and p.received_at <= before_at and (p.received_at, p.id) < (before_at, before_id)
     order by p.received_at desc, p.id desc limit 1
  $$;

create function contact_previous_before() returns trigger language plpgsql as $$
begin
  new.previous_contact_at := case when new.person_id is not null then contact_previous(new.person_id, new.received_at, new.id) end;
  return new;
end $$;
create trigger contacts_previous before insert or update of person_id, received_at on contacts
  for each row execute function contact_previous_before();

-- A contact linked (or unlinked, or moved in time) changes the previous contact of the next
-- one of the same person: that one is set again, for the person it joined and the one it left.
create function contact_previous_next(of_person uuid, after_at timestamptz, after_id uuid) returns void
  language sql as $$
    update contacts n set previous_contact_at = contact_previous(n.person_id, n.received_at, n.id)
     where n.id = (select x.id from contacts x
                    where x.person_id = of_person and x.received_at >= after_at and (x.received_at, x.id) > (after_at, after_id)
                    order by x.received_at, x.id limit 1)
  $$;

create function contact_previous_after() returns trigger language plpgsql as $$
begin
  if new.person_id is not null then
    perform contact_previous_next(new.person_id, new.received_at, new.id);
  end if;
  if tg_op = 'UPDATE' and old.person_id is not null then
    perform contact_previous_next(old.person_id, old.received_at, old.id);
  end if;
  return null;
end $$;
create trigger contacts_previous_next after insert or update of person_id, received_at on contacts
  for each row execute function contact_previous_after();

alter table referrals
  add column acknowledge_breached boolean not null default false,
  add column first_contact_breached boolean not null default false;
update referrals r set acknowledge_breached = true from escalations x where x.referral_id = r.id and x.clock = 'acknowledge';
update referrals r set first_contact_breached = true from escalations x where x.referral_id = r.id and x.clock = 'first_contact';

create function escalation_breached() returns trigger language plpgsql as $$
begin
  update referrals
     set acknowledge_breached = acknowledge_breached or new.clock = 'acknowledge',
         first_contact_breached = first_contact_breached or new.clock = 'first_contact'
   where id = new.referral_id;
  return null;
end $$;
create trigger escalations_breached after insert on escalations
  for each row execute function escalation_breached();

drop index referrals_period;
create index referrals_period on referrals (partnership_id, created_at)
  include (risk_level, organisation_id, service_id, state, contact_received_at, first_for_contact, first_contact_at, decision, decision_reason,
           acknowledge_breached, first_contact_breached);
