-- Caseloads read only the cases held in their 12-month window (issue 3, bench/flow with
-- history, 2026-12-02). Pathways show each IDVA service's caseload (src/modules/reports/
-- caseload.ts): its caseworkers and the people whose cases they held in the last 12 months.
-- The query found the organisation's cases through cases_list, every case it ever held, and
-- the row policies checked each before the window could be applied: with 100,000 contacts of
-- history one call of pathways cost PostgreSQL ~30 ms, growing with every year kept. With
-- this index the open cases and those closed within the window are two index ranges, so the
-- cost follows the service's last year of work, not the partnership's history. The included
-- columns are those the caseload and the cases' policies read.
create index cases_caseload on cases (organisation_id, closed_at)
  include (caseworker_id, person_id, partnership_id)
  where caseworker_id is not null;
