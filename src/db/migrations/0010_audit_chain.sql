-- A tamper-evident audit trail (issue 9): each audit row, once sealed, carries a sequence
-- number and a hash over its content and the previous row's hash. Rows are written freely
-- (no lock on every request); a background job seals them in order. Sealing is the only
-- change the table allows: any other update, and every delete, is refused.

alter table audit_events add column seq bigint, add column hash text;
create unique index audit_events_seq on audit_events (seq);
create index audit_events_unsealed on audit_events (id) where seq is null;

create function audit_seal_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.seq is null and old.hash is null and new.seq is not null and new.hash is not null
     and (new.id, new.at, new.partnership_id, new.actor_user_id, new.actor_organisation_id, new.action,
          new.record_type, new.record_id, new.outcome, new.request_id, new.details)
         is not distinct from
         (old.id, old.at, old.partnership_id, old.actor_user_id, old.actor_organisation_id, old.action,
          old.record_type, old.record_id, old.outcome, old.request_id, old.details) then
    return new;
  end if;
  raise exception 'audit_events is append-only' using errcode = 'P0001';
end $$;

drop trigger audit_events_append_only on audit_events;
create trigger audit_events_append_only before update or delete on audit_events
  for each row execute function audit_seal_only();
