-- Staff sign-in sessions for the web app. The cookie holds a random token; only its hash
-- is stored. Idle and absolute limits are checked on every request; a session can be
-- revoked. `second_factor_at` is where multi-factor sign-in (issue 9) records its step.
create table web_sessions (
  id uuid primary key default gen_random_uuid(),
  token_hash text not null unique,
  partnership_id uuid not null references partnerships(id),
  user_id uuid not null references users(id),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  second_factor_at timestamptz,
  revoked_at timestamptz
);
create index web_sessions_user on web_sessions (user_id) where revoked_at is null;
