-- MARAC (issue 8): every high-risk contact referred to the Multi-Agency Risk Assessment
-- Conference, repeats flagged, meetings with their lists, agencies' research and actions.

create table marac_meetings (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  held_on date not null,
  capacity int not null check (capacity between 1 and 100),
  attending_organisation_ids uuid[] not null default '{}',
  created_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index marac_meetings_next on marac_meetings (partnership_id, held_on);

create table marac_referrals (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  -- the SPOC hub, which runs MARAC
  organisation_id uuid not null references organisations(id),
  contact_id uuid not null references contacts(id),
  risk_assessment_id uuid references risk_assessments(id),
  -- score (14+ yes), professional_judgement, escalation, or manual (with a reason)
  criteria text[] not null,
  reason text,
  referred_on date not null,
  referred_by uuid not null references users(id),
  referring_organisation_id uuid not null references organisations(id),
  repeat_of_id uuid references marac_referrals(id),
  previous_referred_on date,
  meeting_id uuid references marac_meetings(id),
  status text not null default 'awaiting_meeting' check (status in ('awaiting_meeting', 'listed', 'heard', 'withdrawn')),
  created_at timestamptz not null default now()
);
-- One MARAC referral per contact, however many times it is assessed high.
create unique index marac_referrals_one_per_contact on marac_referrals (contact_id);
create index marac_referrals_meeting on marac_referrals (meeting_id);
create index marac_referrals_period on marac_referrals (partnership_id, referred_on);

-- What each agency holds about the people on the list, recorded before the meeting.
create table marac_research (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  marac_referral_id uuid not null references marac_referrals(id),
  summary text not null,
  recorded_by uuid not null references users(id),
  recorded_at timestamptz not null default now()
);
create index marac_research_referral on marac_research (marac_referral_id);

-- Actions agreed at the meeting, each owned by an agency.
create table marac_actions (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  marac_referral_id uuid not null references marac_referrals(id),
  description text not null,
  owner_name text not null default '',
  due_on date not null,
  done_at timestamptz,
  done_by uuid references users(id),
  created_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index marac_actions_open on marac_actions (partnership_id, due_on) where done_at is null;
create index marac_actions_referral on marac_actions (marac_referral_id);
