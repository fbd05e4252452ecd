-- The public web door (/get-help, /refer): answers are held here, server-side, against a
-- browser-session cookie (only its hash stored), until submitted or expired. Nothing of
-- them goes in a URL or the browser's storage. Submitted or expired rows are deleted.
create table door_sessions (
  id uuid primary key default gen_random_uuid(),
  token_hash text not null unique,
  partnership_id uuid not null references partnerships(id),
  form text not null check (form in ('self', 'professional')),
  answers jsonb not null default '{}',
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index door_sessions_expiry on door_sessions (expires_at);
