-- Reports at national volume (bench/reports): a period's contacts with everything the
-- measures group and count by, so the index answers them alone (index-only scans) without
-- visiting the wide contact rows.

drop index contacts_period;
create index contacts_period on contacts (partnership_id, received_at)
  include (channel, caller_type, risk_level, organisation_id, person_id);
