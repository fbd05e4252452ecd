-- The provider inbox and the SPOC's clocks list referrals "soonest deadline first". That
-- deadline was computed in the query, so every inbox page sorted the organisation's whole
-- history; as the history grew, the inbox slowed (bench/soak). The database now keeps it on
-- the row and an index walks it in order.

alter table referrals add column next_due_at timestamptz generated always as (
  case
    when acknowledged_at is null and state = 'sent' then acknowledge_due_at
    when first_contact_at is null and state in ('sent', 'acknowledged', 'accepted') then first_contact_due_at
  end) stored;

drop index referrals_inbox;
create index referrals_inbox on referrals (organisation_id, state, next_due_at, created_at);
create index referrals_due on referrals (organisation_id, next_due_at, created_at);
create index referrals_sent_live on referrals (referring_organisation_id, next_due_at)
  where state in ('sent', 'acknowledged', 'accepted');
