-- Safe accommodation and recovery programmes (issue 7).

-- A referral to safe accommodation names the unit it asks for (single, family with N children, accessible).
alter table referrals add column unit_type text;
-- A referral a caseworker makes on from their own case (e.g. to a refuge), for that case's timeline.
alter table referrals add column referring_case_id uuid references cases(id);

-- Courses of a group recovery programme (a service of kind recovery_programme).
create table programme_courses (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  service_id uuid not null references services(id),
  title text not null,
  starts_on date not null,
  sessions int not null check (sessions between 1 and 52),
  places int not null check (places between 1 and 200),
  created_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index programme_courses_service on programme_courses (service_id, starts_on);

-- A person's place on a programme: enrolled on a course, or waiting (with an estimated start).
create table programme_places (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  service_id uuid not null references services(id),
  case_id uuid not null references cases(id),
  referral_id uuid references referrals(id),
  course_id uuid references programme_courses(id),
  status text not null check (status in ('waiting', 'enrolled', 'completed', 'withdrawn')),
  joined_at timestamptz not null default now(),
  enrolled_at timestamptz,
  created_by uuid not null references users(id),
  check ((status = 'waiting') = (course_id is null))
);
create unique index programme_places_one_live on programme_places (service_id, case_id) where status in ('waiting', 'enrolled');
create index programme_places_course on programme_places (course_id) where status = 'enrolled';
create index programme_places_waiting on programme_places (service_id, joined_at) where status = 'waiting';

create table programme_attendance (
  place_id uuid not null references programme_places(id),
  course_id uuid not null references programme_courses(id),
  partnership_id uuid not null references partnerships(id),
  session int not null check (session >= 1),
  attended boolean not null,
  recorded_by uuid not null references users(id),
  recorded_at timestamptz not null default now(),
  primary key (place_id, session)
);
