-- A person's contacts, linked by a person (a handler recognising a caller, e.g. from their
-- number): never merged, each link recorded with who made it and when.
create table contact_links (
  contact_id uuid not null references contacts(id),
  linked_contact_id uuid not null references contacts(id),
  partnership_id uuid not null references partnerships(id),
  linked_by uuid not null references users(id),
  linked_at timestamptz not null default now(),
  reason text not null,
  primary key (contact_id, linked_contact_id),
  check (contact_id <> linked_contact_id)
);
