-- Pathways and referrals: routing rules as data, referrals with an append-only history,
-- contact attempts, response-clock escalations (raised once), idempotent creation.

create table routing_rule_sets (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  version int not null,
  rules jsonb not null,
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  unique (partnership_id, version)
);

create table referrals (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  -- the receiving organisation: it owns its work on the referral
  organisation_id uuid not null references organisations(id),
  referring_organisation_id uuid not null references organisations(id),
  referred_by uuid not null references users(id),
  contact_id uuid not null references contacts(id),
  service_id uuid not null references services(id),
  risk_assessment_id uuid references risk_assessments(id),
  risk_level text not null,
  rule_id text,
  added_reason text,
  consent text not null check (consent in ('given', 'refused', 'not_asked')),
  lawful_basis text,
  consent_decided_by uuid not null references users(id),
  state text not null,
  acknowledge_due_at timestamptz not null,
  first_contact_due_at timestamptz not null,
  acknowledged_at timestamptz,
  first_contact_at timestamptz,
  replaces_referral_id uuid references referrals(id),
  rerouted_at timestamptz,
  rerouted_by uuid references users(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (consent = 'given' or lawful_basis is not null)
);
create index referrals_inbox on referrals (organisation_id, state);
create index referrals_contact on referrals (contact_id);
-- One live referral per contact and service: a retried or doubled request cannot make two.
create unique index referrals_one_live on referrals (contact_id, service_id)
  where state not in ('declined', 'redirected', 'withdrawn', 'closed');
create index referrals_reroute on referrals (partnership_id) where state in ('declined', 'redirected') and rerouted_at is null;

create table referral_events (
  id bigint generated always as identity primary key,
  referral_id uuid not null references referrals(id),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  from_state text,
  to_state text not null,
  actor_user_id uuid references users(id),
  actor_label text,
  at timestamptz not null default now(),
  reason_code text,
  reason_text text,
  redirect_service_id uuid references services(id)
);
create index referral_events_referral on referral_events (referral_id, id);
create trigger referral_events_append_only before update or delete on referral_events
  for each row execute function refuse_change();

create table contact_attempts (
  id uuid primary key default gen_random_uuid(),
  referral_id uuid not null references referrals(id),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  channel text not null,
  outcome text not null,
  note text not null default '',
  attempted_by uuid not null references users(id),
  attempted_at timestamptz not null default now()
);
create index contact_attempts_referral on contact_attempts (referral_id);

-- A breached clock, raised once for the SPOC coordinator (the unique key makes it once,
-- however many processes look).
create table escalations (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  referral_id uuid not null references referrals(id),
  clock text not null check (clock in ('acknowledge', 'first_contact')),
  due_at timestamptz not null,
  raised_at timestamptz not null default now(),
  unique (referral_id, clock)
);
create index escalations_partnership on escalations (partnership_id, raised_at desc);

-- The first answer to a request made with an Idempotency-Key, replayed to its retries.
create table idempotency_keys (
  user_id uuid not null references users(id),
  key text not null,
  request_hash text not null,
  status int,
  body jsonb,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
