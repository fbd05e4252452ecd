-- Cases (issue 7): people known to the partnership, recognised again by a person (never
-- merged by the machine); a case per organisation per episode of support; the household,
-- the alleged perpetrators, notes, actions, versioned safety plans and outcome measures.

create extension if not exists pg_trgm;

-- A person known to the partnership: a victim / survivor, or someone seeking help with their
-- own behaviour (a perpetrator programme's participant) — kept apart, so that one is never
-- offered as a match for the other. `search_name` holds every name the person is known by,
-- lower-cased, for trigram matching.
create table people (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  -- the organisation that first recorded the person
  organisation_id uuid not null references organisations(id),
  role text not null default 'victim' check (role in ('victim', 'perpetrator')),
  name text not null default '',
  other_names text[] not null default '{}',
  search_name text not null default '',
  date_of_birth date,
  gender text,
  postcode text,
  -- phone numbers as international digits (447700900123), for matching however written
  phone_digits text[] not null default '{}',
  identifiers jsonb not null default '{}'::jsonb,
  created_from_contact_id uuid references contacts(id),
  created_by uuid not null references users(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Recognising a returning person by name among millions: each word of a person's names is
-- indexed with its one-letter deletions, so two words share a key when deleting at most
-- one letter from each makes them equal (a letter changed, added or dropped, or two
-- neighbours swapped). A trigram index had to recheck everyone sharing one word with the
-- name (all the Sarahs, all the Smiths: 100-300 ms at 1,000,000 people; bench/match).
-- pg_trgm's word_similarity still ranks the few candidates found. PARALLEL RESTRICTED on
-- purpose: the planner overestimates these rows and would start parallel workers.
create function person_name_keys(names text) returns text[]
language sql immutable parallel restricted as $$
  select coalesce(array_agg(distinct k), '{}'::text[])
    from regexp_split_to_table(lower(replace(names, '''', '')), '[^[:alpha:]]+') w
   cross join lateral (
     select w as k
     union all
     select left(w, i - 1) || substr(w, i + 1) from generate_series(1, length(w)) i where length(w) >= 3
   ) v
   where w <> ''
$$;
create index people_name_keys on people using gin (person_name_keys(search_name));
create index people_dob on people (partnership_id, date_of_birth);
create index people_postcode on people (partnership_id, postcode);
create index people_phones on people using gin (phone_digits);

alter table contacts add column person_id uuid references people(id);
create index contacts_person on contacts (person_id);

-- Every decision on a proposed match, confirmed or rejected, with who made it and why the
-- machine proposed it. Append-only: a changed mind is a new row.
create table person_match_decisions (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  contact_id uuid not null references contacts(id),
  person_id uuid not null references people(id),
  decision text not null check (decision in ('confirmed', 'rejected', 'created')),
  score real,
  reasons jsonb not null default '[]'::jsonb,
  decided_by uuid not null references users(id),
  decided_at timestamptz not null default now()
);
create index person_match_decisions_contact on person_match_decisions (contact_id, decided_at);
create trigger person_match_decisions_append_only before update or delete on person_match_decisions
  for each row execute function refuse_change();

-- A case: one organisation's episode of support for one person.
create table cases (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  person_id uuid not null references people(id),
  reference text not null unique,
  state text not null default 'open' check (state in ('open', 'closed')),
  caseworker_id uuid references users(id),
  opened_by uuid not null references users(id),
  opened_at timestamptz not null default now(),
  closed_by uuid references users(id),
  closed_at timestamptz,
  closure_reason text,
  closure_note text,
  check ((state = 'closed') = (closed_at is not null))
);
create unique index cases_one_open on cases (organisation_id, person_id) where state = 'open';
create index cases_list on cases (partnership_id, organisation_id, state, opened_at desc);
create sequence case_reference_seq;

alter table referrals add column case_id uuid references cases(id);
create index referrals_case on referrals (case_id);

create table household_members (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  case_id uuid not null references cases(id),
  name text not null default '',
  date_of_birth date,
  relationship text not null,
  school text not null default '',
  lives_with_person boolean not null default true,
  created_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index household_members_case on household_members (case_id);

-- Alleged perpetrators: their numbers feed the perpetrator alert on calls and contacts.
create table case_perpetrators (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  case_id uuid not null references cases(id),
  name text not null default '',
  other_names text[] not null default '{}',
  date_of_birth date,
  relationship text not null,
  phones text[] not null default '{}',
  phone_digits text[] not null default '{}',
  vehicles text[] not null default '{}',
  addresses text[] not null default '{}',
  identifiers jsonb not null default '{}'::jsonb,
  created_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index case_perpetrators_case on case_perpetrators (case_id);
create index case_perpetrators_phones on case_perpetrators using gin (phone_digits);

-- Notes are never edited: a correction is a new note that supersedes. A sensitive note is
-- seen only by the author's organisation.
create table case_notes (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  case_id uuid not null references cases(id),
  person_id uuid not null references people(id),
  body text not null,
  sensitive boolean not null default false,
  supersedes_id uuid references case_notes(id),
  author_id uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index case_notes_case on case_notes (case_id, created_at);
create index case_notes_person on case_notes (person_id, created_at);
create trigger case_notes_append_only before update or delete on case_notes
  for each row execute function refuse_change();

create table case_actions (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  case_id uuid not null references cases(id),
  title text not null,
  owner_id uuid not null references users(id),
  due_on date not null,
  done_at timestamptz,
  done_by uuid references users(id),
  created_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index case_actions_owner on case_actions (owner_id, due_on) where done_at is null;
create index case_actions_case on case_actions (case_id);

-- Safety-plan templates per partnership: the sections a plan asks for, as data.
create table safety_plan_templates (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  code text not null,
  version int not null,
  title text not null,
  sections jsonb not null,
  created_at timestamptz not null default now(),
  unique (partnership_id, code, version)
);

-- Safety plans are versioned: each change is a new version, the old ones kept.
create table safety_plans (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  case_id uuid not null references cases(id),
  version int not null,
  template_id uuid not null references safety_plan_templates(id),
  content jsonb not null,
  review_on date not null,
  created_by uuid not null references users(id),
  created_at timestamptz not null default now(),
  unique (case_id, version)
);
create index safety_plans_review on safety_plans (organisation_id, review_on);
create trigger safety_plans_append_only before update or delete on safety_plans
  for each row execute function refuse_change();

-- Outcome measures at intake and at exit (one of each per case; later ones supersede).
create table outcome_measures (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  case_id uuid not null references cases(id),
  stage text not null check (stage in ('intake', 'exit')),
  abuse jsonb not null,
  feeling_safe int not null check (feeling_safe between 1 and 10),
  wellbeing int not null check (wellbeing between 1 and 10),
  recorded_by uuid not null references users(id),
  recorded_at timestamptz not null default now()
);
create index outcome_measures_case on outcome_measures (case_id, stage, recorded_at desc);
