-- A bearer token's holder checked in the round-trip that opens the request's transaction
-- (issue 3, bench/flow, 2026-12-02). spoc keeps the holders of recently seen tokens in
-- memory (src/modules/access/token-holders.ts), so a request no longer spends a round-trip
-- of its own looking its token up; instead the `begin` of its first transaction asks this
-- function whether the token is still unrevoked and unexpired, and its user still active,
-- in the same organisation and partnership with the same roles. If not, the transaction
-- fails before anything is read and the request answers 401. A request that opens no
-- transaction asks it on its own before its answer is sent.
create function app_token_current(p_token uuid, p_user uuid, p_organisation uuid, p_partnership uuid, p_roles text)
returns void language plpgsql stable set search_path = public, pg_temp as $$
begin
  if not exists (
    select 1 from api_tokens t join users u on u.id = t.user_id
     where t.id = p_token and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())
       and u.id = p_user and u.status = 'active' and u.organisation_id = p_organisation
       and u.partnership_id = p_partnership and array_to_string(u.roles, ',') = p_roles
  ) then
    raise exception 'the bearer token is no longer valid for this user' using errcode = '28000';
  end if;
end $$;
