-- Calls to the SPOC number (Twilio Programmable Voice). Every call is one row and one
-- contact (channel phone), made at the first webhook and kept current as the call goes.
create table calls (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  organisation_id uuid not null references organisations(id),
  provider text not null default 'twilio',
  call_sid text not null unique,
  from_number text,
  contact_id uuid not null references contacts(id),
  menu_choice text,
  in_hours boolean,
  started_at timestamptz not null default now(),
  queued_at timestamptz,
  answered_at timestamptz,
  ended_at timestamptz,
  queue_seconds integer,
  answered_by uuid references users(id),
  outcome text check (outcome in ('answered', 'abandoned', 'forwarded', 'callback_requested')),
  callback_time text,
  provider_status text,
  -- The caller's number matched one recorded for an alleged perpetrator (SPEC §5).
  perpetrator_alert boolean not null default false
);
create index calls_partnership_started on calls (partnership_id, started_at);

-- The rota: call handlers on duty, and the phone each is reached on while on duty.
create table on_duty (
  user_id uuid primary key references users(id),
  partnership_id uuid not null references partnerships(id),
  phone text not null,
  since timestamptz not null default now()
);
create index on_duty_partnership on on_duty (partnership_id);
