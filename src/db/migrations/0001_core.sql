-- spoc core: tenants, organisations, people who use spoc, audit, directory, contacts, risk.
-- Every table holding a person's data carries partnership_id and an owning organisation_id.

create table partnerships (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique,
  name text not null,
  -- risk thresholds and other partnership configuration (see src/modules/risk/config.ts)
  settings jsonb not null default '{}'::jsonb,
  is_demo boolean not null default false,
  created_at timestamptz not null default now()
);

create table organisations (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  slug text not null,
  name text not null,
  kind text not null check (kind in ('spoc_hub', 'provider', 'referrer', 'council', 'commissioner')),
  description text not null default '',
  url text,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (partnership_id, slug)
);
create unique index organisations_one_hub on organisations (partnership_id) where kind = 'spoc_hub';

create table users (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  email text not null,
  name text not null,
  roles text[] not null check (cardinality(roles) > 0),
  password_hash text,
  status text not null default 'active' check (status in ('active', 'disabled')),
  created_at timestamptz not null default now()
);
create unique index users_email on users (lower(email));

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  user_id uuid not null references users(id),
  name text not null,
  -- sha256 of the token; the token itself is shown once and never stored
  token_hash text not null unique,
  prefix text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

-- Who touched which record, when, and whether they were allowed. Never personal data.
create table audit_events (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  partnership_id uuid,
  actor_user_id uuid,
  actor_organisation_id uuid,
  action text not null,
  record_type text,
  record_id uuid,
  outcome text not null check (outcome in ('allowed', 'denied')),
  request_id text,
  details jsonb not null default '{}'::jsonb
);
create index audit_events_record on audit_events (record_type, record_id, at);
create index audit_events_actor on audit_events (actor_user_id, at);

create function refuse_change() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = 'P0001';
end $$;
create trigger audit_events_append_only before update or delete on audit_events
  for each row execute function refuse_change();

create table services (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  name text not null,
  kind text not null,
  description text not null default '',
  status text not null default 'active' check (status in ('active', 'inactive')),
  by_and_for boolean not null default false,
  specialisms text[] not null default '{}',
  area_districts text[] not null default '{}',
  min_age int,
  max_age int,
  genders text[] not null default '{}',
  risk_levels text[] not null default '{}',
  needs text[] not null default '{}',
  languages text[] not null default '{}',
  accessibility text not null default '',
  opening_hours jsonb not null default '[]'::jsonb,
  referral_route jsonb not null,
  response_targets jsonb not null,
  capacity_status text not null default 'open' check (capacity_status in ('open', 'waiting_list', 'closed')),
  vacancies jsonb not null default '[]'::jsonb,
  confidential_location boolean not null default false,
  address jsonb,
  phone text,
  email text,
  url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index services_partnership on services (partnership_id, kind);

-- The partnership's configurable list of needs (SPEC §2 step 5).
create table need_definitions (
  partnership_id uuid not null references partnerships(id),
  code text not null,
  label text not null,
  position int not null,
  active boolean not null default true,
  primary key (partnership_id, code)
);

create sequence contact_reference_seq;

create table contacts (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  reference text not null unique,
  channel text not null,
  caller_type text not null,
  status text not null,
  handler_user_id uuid not null references users(id),
  received_at timestamptz not null,
  immediate_danger text not null,
  person jsonb not null default '{}'::jsonb,
  caller jsonb,
  safe_contact jsonb not null default '{}'::jsonb,
  needs text[] not null default '{}',
  children jsonb not null default '[]'::jsonb,
  perpetrators jsonb not null default '[]'::jsonb,
  summary text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by uuid references users(id)
);
create index contacts_list on contacts (partnership_id, organisation_id, received_at desc);
create index contacts_handler on contacts (handler_user_id, received_at desc);

-- A contact owned by one organisation, shared with another (by a referral, or by hand).
create table contact_shares (
  contact_id uuid not null references contacts(id),
  organisation_id uuid not null references organisations(id),
  partnership_id uuid not null references partnerships(id),
  shared_by uuid not null references users(id),
  reason text not null,
  created_at timestamptz not null default now(),
  primary key (contact_id, organisation_id)
);
create index contact_shares_org on contact_shares (organisation_id);

-- Versioned questionnaires held as data (DASH RIC first).
create table questionnaire_definitions (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  code text not null,
  version int not null,
  title text not null,
  definition jsonb not null,
  created_at timestamptz not null default now(),
  created_by uuid references users(id),
  unique (partnership_id, code, version)
);

-- Completed checklists are immutable; a new one supersedes the last.
create table risk_assessments (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  contact_id uuid not null references contacts(id),
  questionnaire_id uuid not null references questionnaire_definitions(id),
  answers jsonb not null,
  yes_count int not null,
  score_level text not null,
  level text not null,
  reasons jsonb not null,
  prompts jsonb not null,
  judgement_level text,
  judgement_reason text,
  police_callouts_12m int not null default 0,
  other_incidents_12m int not null default 0,
  supersedes_id uuid unique references risk_assessments(id),
  assessed_by uuid not null references users(id),
  completed_at timestamptz not null default now()
);
create index risk_assessments_contact on risk_assessments (contact_id, completed_at desc);
create trigger risk_assessments_immutable before update or delete on risk_assessments
  for each row execute function refuse_change();
