-- Multi-factor sign-in (issue 9): a TOTP secret per staff user, enrolled on first sign-in;
-- one-time recovery codes (stored as hashes); lockout after repeated failures.
alter table users
  add column totp_secret text,
  add column totp_enrolled_at timestamptz,
  add column recovery_code_hashes text[] not null default '{}',
  add column failed_sign_ins int not null default 0,
  add column locked_until timestamptz;
