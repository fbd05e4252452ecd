-- Issue 9, security. Council sign-in (OpenID Connect): a staff user is linked to one
-- identity at the council's identity provider by its issuer and subject (never by a name),
-- recorded at the first sign-in that matched a verified email, or set by an administrator.
-- Single-use sign-in codes: the time step (RFC 6238) of the last TOTP code accepted, so the
-- same code, or an earlier one, is refused.
alter table users
  add column oidc_issuer text,
  add column oidc_subject text,
  add column oidc_linked_at timestamptz,
  add column totp_last_step integer,
  add constraint users_oidc_pair check ((oidc_issuer is null) = (oidc_subject is null));
create unique index users_oidc on users (oidc_issuer, oidc_subject) where oidc_subject is not null;
