/** Kysely's view of the tables in src/db/migrations. Keep in step with the migrations. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
// JSON columns are written as JSON text (see lib/json.ts): pg would turn a JS array into a SQL array.
type Json<T extends object | null> = JSONColumnType<T, string, string>;

export interface PartnershipsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  settings: Json<Record<string, unknown>>;
  is_demo: Generated<boolean>;
  created_at: CreatedAt;
}

export interface OrganisationsTable {
  id: Generated<string>;
  partnership_id: string;
  slug: string;
  name: string;
  kind: string;
  description: Generated<string>;
  url: string | null;
  email: string | null;
  phone: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  email: string;
  name: string;
  roles: string[];
  password_hash: string | null;
  status: Generated<string>;
  created_at: CreatedAt;
  totp_secret: string | null;
  totp_enrolled_at: Date | null;
  recovery_code_hashes: Generated<string[]>;
  failed_sign_ins: Generated<number>;
  locked_until: Date | null;
  /** The council identity provider's issuer and subject this user signs in as (0013). */
  oidc_issuer: string | null;
  oidc_subject: string | null;
  oidc_linked_at: Date | null;
  /** The RFC 6238 time step of the last TOTP code accepted: a code of that step or earlier is refused. */
  totp_last_step: number | null;
}

export interface ApiTokensTable {
  id: Generated<string>;
  partnership_id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: CreatedAt;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface WebSessionsTable {
  id: Generated<string>;
  token_hash: string;
  partnership_id: string;
  user_id: string;
  created_at: CreatedAt;
  last_seen_at: Generated<Date>;
  expires_at: Date;
  second_factor_at: Date | null;
  revoked_at: Date | null;
}

export interface DoorSessionsTable {
  id: Generated<string>;
  token_hash: string;
  partnership_id: string;
  form: string;
  answers: Generated<unknown>;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface CallsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  provider: Generated<string>;
  call_sid: string;
  from_number: string | null;
  contact_id: string;
  menu_choice: string | null;
  in_hours: boolean | null;
  started_at: Generated<Date>;
  queued_at: Date | null;
  answered_at: Date | null;
  ended_at: Date | null;
  queue_seconds: number | null;
  answered_by: string | null;
  outcome: string | null;
  callback_time: string | null;
  provider_status: string | null;
  perpetrator_alert: Generated<boolean>;
}

export interface OnDutyTable {
  user_id: string;
  partnership_id: string;
  phone: string;
  since: Generated<Date>;
}

export interface ContactLinksTable {
  contact_id: string;
  linked_contact_id: string;
  partnership_id: string;
  linked_by: string;
  linked_at: Generated<Date>;
  reason: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: CreatedAt;
  partnership_id: string | null;
  actor_user_id: string | null;
  actor_organisation_id: string | null;
  action: string;
  record_type: string | null;
  record_id: string | null;
  outcome: 'allowed' | 'denied';
  request_id: string | null;
  details: Json<Record<string, unknown>>;
  seq: number | null;
  hash: string | null;
}

export interface ServicesTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  name: string;
  kind: string;
  description: string;
  status: string;
  by_and_for: boolean;
  specialisms: string[];
  area_districts: string[];
  min_age: number | null;
  max_age: number | null;
  genders: string[];
  risk_levels: string[];
  needs: string[];
  languages: string[];
  accessibility: string;
  opening_hours: Json<unknown[]>;
  referral_route: Json<Record<string, unknown>>;
  response_targets: Json<Record<string, unknown>>;
  capacity_status: string;
  vacancies: Json<unknown[]>;
  confidential_location: boolean;
  address: Json<Record<string, unknown> | null>;
  phone: string | null;
  email: string | null;
  url: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NeedDefinitionsTable {
  partnership_id: string;
  code: string;
  label: string;
  position: number;
  active: Generated<boolean>;
}

export interface ContactsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  reference: string;
  channel: string;
  caller_type: string;
  status: string;
  handler_user_id: string;
  received_at: ColumnType<Date, Date | string, Date | string>;
  immediate_danger: string;
  person: Json<Record<string, unknown>>;
  caller: Json<Record<string, unknown> | null>;
  safe_contact: Json<Record<string, unknown>>;
  needs: string[];
  children: Json<unknown[]>;
  perpetrators: Json<unknown[]>;
  summary: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  updated_by: string | null;
  person_id: string | null;
  /** when the retention run anonymised it (0017_retention.sql); null: not anonymised */
  anonymised_at: ColumnType<Date | null, never, never>;
  /** the latest risk assessment's level, kept by a trigger (0012_reports.sql) */
  risk_level: ColumnType<string | null, never, never>;
  /** when the same person last made contact before this one, kept by triggers (0016_report_facts.sql) */
  previous_contact_at: ColumnType<Date | null, never, never>;
}

export interface ContactSharesTable {
  contact_id: string;
  organisation_id: string;
  partnership_id: string;
  shared_by: string;
  reason: string;
  created_at: CreatedAt;
}

export interface QuestionnaireDefinitionsTable {
  id: Generated<string>;
  partnership_id: string;
  code: string;
  version: number;
  title: string;
  definition: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface RiskAssessmentsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  contact_id: string;
  questionnaire_id: string;
  answers: Json<Record<string, string>>;
  yes_count: number;
  score_level: string;
  level: string;
  reasons: Json<unknown[]>;
  prompts: Json<unknown[]>;
  judgement_level: string | null;
  judgement_reason: string | null;
  police_callouts_12m: number;
  other_incidents_12m: number;
  supersedes_id: string | null;
  assessed_by: string;
  completed_at: CreatedAt;
}

export interface RoutingRuleSetsTable {
  id: Generated<string>;
  partnership_id: string;
  version: number;
  rules: Json<unknown[]>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ReferralsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  referring_organisation_id: string;
  referred_by: string;
  contact_id: string;
  service_id: string;
  risk_assessment_id: string | null;
  risk_level: string;
  rule_id: string | null;
  added_reason: string | null;
  consent: string;
  lawful_basis: string | null;
  consent_decided_by: string;
  state: string;
  acknowledge_due_at: Date;
  first_contact_due_at: Date;
  acknowledged_at: Date | null;
  first_contact_at: Date | null;
  replaces_referral_id: string | null;
  rerouted_at: Date | null;
  rerouted_by: string | null;
  case_id: string | null;
  unit_type: string | null;
  referring_case_id: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  // kept by triggers for reports (0014_report_speed.sql)
  contact_received_at: ColumnType<Date | null, never, never>;
  first_for_contact: ColumnType<boolean | null, never, never>;
  decision: ColumnType<string | null, never, never>;
  decision_reason: ColumnType<string | null, never, never>;
  // whether each response clock was breached (an escalation raised), kept by a trigger (0016_report_facts.sql)
  acknowledge_breached: ColumnType<boolean, never, never>;
  first_contact_breached: ColumnType<boolean, never, never>;
  // the next open deadline, generated by the database (0015_inbox_order.sql)
  next_due_at: ColumnType<Date | null, never, never>;
}

export interface ReferralEventsTable {
  id: Generated<number>;
  referral_id: string;
  partnership_id: string;
  organisation_id: string;
  from_state: string | null;
  to_state: string;
  actor_user_id: string | null;
  actor_label: string | null;
  at: CreatedAt;
  reason_code: string | null;
  reason_text: string | null;
  redirect_service_id: string | null;
}

export interface ContactAttemptsTable {
  id: Generated<string>;
  referral_id: string;
  partnership_id: string;
  organisation_id: string;
  channel: string;
  outcome: string;
  note: string;
  attempted_by: string;
  attempted_at: CreatedAt;
}

export interface EscalationsTable {
  id: Generated<string>;
  partnership_id: string;
  referral_id: string;
  clock: string;
  due_at: Date;
  raised_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  status: number | null;
  body: JSONColumnType<object | null, string | null, string | null>;
  created_at: CreatedAt;
}

type DateOnly = ColumnType<string, string, string>;

export interface PeopleTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  role: Generated<string>;
  name: string;
  other_names: string[];
  search_name: string;
  date_of_birth: DateOnly | null;
  gender: string | null;
  postcode: string | null;
  phone_digits: string[];
  identifiers: Json<Record<string, string>>;
  created_from_contact_id: string | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  // equality monitoring (0012_reports.sql)
  sex: string | null;
  gender_same_as_birth: string | null;
  ethnicity: string | null;
  disability: string | null;
  sexual_orientation: string | null;
  religion: string | null;
  /** when the retention run anonymised the person (0017_retention.sql); null: not anonymised */
  anonymised_at: ColumnType<Date | null, never, never>;
  restricted_at: Date | null;
  restricted_by: string | null;
}

export interface PersonMatchDecisionsTable {
  id: Generated<string>;
  partnership_id: string;
  contact_id: string;
  person_id: string;
  decision: string;
  score: number | null;
  reasons: Json<string[]>;
  decided_by: string;
  decided_at: CreatedAt;
}

export interface CasesTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  person_id: string;
  reference: string;
  state: Generated<string>;
  caseworker_id: string | null;
  opened_by: string;
  opened_at: CreatedAt;
  closed_by: string | null;
  closed_at: Date | null;
  closure_reason: string | null;
  closure_note: string | null;
}

export interface HouseholdMembersTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  case_id: string;
  name: string;
  date_of_birth: DateOnly | null;
  relationship: string;
  school: string;
  lives_with_person: boolean;
  created_by: string;
  created_at: CreatedAt;
}

export interface CasePerpetratorsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  case_id: string;
  name: string;
  other_names: string[];
  date_of_birth: DateOnly | null;
  relationship: string;
  phones: string[];
  phone_digits: string[];
  vehicles: string[];
  addresses: string[];
  identifiers: Json<Record<string, string>>;
  created_by: string;
  created_at: CreatedAt;
}

export interface CaseNotesTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  case_id: string;
  person_id: string;
  body: string;
  sensitive: boolean;
  supersedes_id: string | null;
  author_id: string;
  created_at: CreatedAt;
}

export interface CaseActionsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  case_id: string;
  title: string;
  owner_id: string;
  due_on: DateOnly;
  done_at: Date | null;
  done_by: string | null;
  created_by: string;
  created_at: CreatedAt;
}

export interface SafetyPlanTemplatesTable {
  id: Generated<string>;
  partnership_id: string;
  code: string;
  version: number;
  title: string;
  sections: Json<Array<{ id: string; title: string; hint: string }>>;
  created_at: CreatedAt;
}

export interface SafetyPlansTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  case_id: string;
  version: number;
  template_id: string;
  content: Json<Record<string, string>>;
  review_on: DateOnly;
  created_by: string;
  created_at: CreatedAt;
}

export interface OutcomeMeasuresTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  case_id: string;
  stage: string;
  abuse: Json<Record<string, { frequency: string; severity: string }>>;
  feeling_safe: number;
  wellbeing: number;
  recorded_by: string;
  recorded_at: CreatedAt;
}

export interface ProgrammeCoursesTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  service_id: string;
  title: string;
  starts_on: DateOnly;
  sessions: number;
  places: number;
  created_by: string;
  created_at: CreatedAt;
}

export interface ProgrammePlacesTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  service_id: string;
  case_id: string;
  referral_id: string | null;
  course_id: string | null;
  status: string;
  joined_at: CreatedAt;
  enrolled_at: Date | null;
  created_by: string;
}

export interface ProgrammeAttendanceTable {
  place_id: string;
  course_id: string;
  partnership_id: string;
  session: number;
  attended: boolean;
  recorded_by: string;
  recorded_at: CreatedAt;
}

export interface MaracMeetingsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  held_on: DateOnly;
  capacity: number;
  attending_organisation_ids: string[];
  created_by: string;
  created_at: CreatedAt;
}

export interface MaracReferralsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  contact_id: string;
  risk_assessment_id: string | null;
  criteria: string[];
  reason: string | null;
  referred_on: DateOnly;
  referred_by: string;
  referring_organisation_id: string;
  repeat_of_id: string | null;
  previous_referred_on: DateOnly | null;
  meeting_id: string | null;
  status: Generated<string>;
  created_at: CreatedAt;
}

export interface MaracResearchTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  marac_referral_id: string;
  summary: string;
  recorded_by: string;
  recorded_at: CreatedAt;
}

export interface MaracActionsTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  marac_referral_id: string;
  description: string;
  owner_name: string;
  due_on: DateOnly;
  done_at: Date | null;
  done_by: string | null;
  created_by: string;
  created_at: CreatedAt;
}

/** The daily retention run, claimed once a day (0017_retention.sql). */
export interface RetentionRunsTable {
  run_on: DateOnly;
  started_at: CreatedAt;
  finished_at: Date | null;
  summary: Json<Record<string, unknown>>;
}

export interface PersonNamedUsersTable {
  person_id: string;
  user_id: string;
  partnership_id: string;
  named_by: string;
  named_at: CreatedAt;
}

export interface BreakGlassTable {
  id: Generated<string>;
  partnership_id: string;
  organisation_id: string;
  person_id: string;
  user_id: string;
  reason: string;
  opened_at: CreatedAt;
  expires_at: Date;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  review_note: string | null;
}

export interface DB {
  person_named_users: PersonNamedUsersTable;
  break_glass: BreakGlassTable;
  retention_runs: RetentionRunsTable;
  marac_meetings: MaracMeetingsTable;
  marac_referrals: MaracReferralsTable;
  marac_research: MaracResearchTable;
  marac_actions: MaracActionsTable;
  programme_courses: ProgrammeCoursesTable;
  programme_places: ProgrammePlacesTable;
  programme_attendance: ProgrammeAttendanceTable;
  people: PeopleTable;
  person_match_decisions: PersonMatchDecisionsTable;
  cases: CasesTable;
  household_members: HouseholdMembersTable;
  case_perpetrators: CasePerpetratorsTable;
  case_notes: CaseNotesTable;
  case_actions: CaseActionsTable;
  safety_plan_templates: SafetyPlanTemplatesTable;
  safety_plans: SafetyPlansTable;
  outcome_measures: OutcomeMeasuresTable;
  routing_rule_sets: RoutingRuleSetsTable;
  referrals: ReferralsTable;
  referral_events: ReferralEventsTable;
  contact_attempts: ContactAttemptsTable;
  escalations: EscalationsTable;
  idempotency_keys: IdempotencyKeysTable;
  partnerships: PartnershipsTable;
  organisations: OrganisationsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  web_sessions: WebSessionsTable;
  door_sessions: DoorSessionsTable;
  calls: CallsTable;
  on_duty: OnDutyTable;
  contact_links: ContactLinksTable;
  audit_events: AuditEventsTable;
  services: ServicesTable;
  need_definitions: NeedDefinitionsTable;
  contacts: ContactsTable;
  contact_shares: ContactSharesTable;
  questionnaire_definitions: QuestionnaireDefinitionsTable;
  risk_assessments: RiskAssessmentsTable;
}
