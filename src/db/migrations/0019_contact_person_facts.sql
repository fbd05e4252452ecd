-- Equality monitoring and repeat victims at national volume (bench/reports): each contact
-- carries what those measures need of its person — role, date of birth and the equality
-- answers — kept by the database when a contact is linked and when the person's answers
-- change, so a quarter's figures come from the quarter's contacts alone (one index range)
-- instead of a lookup of each person among millions.

alter table contacts
  add column person_role text,
  add column person_born date,
  add column person_sex text,
  add column person_gender_same_as_birth text,
  add column person_ethnicity text,
  add column person_disability text,
  add column person_sexual_orientation text,
  add column person_religion text;

update contacts c
   set person_role = p.role, person_born = p.date_of_birth, person_sex = p.sex, person_gender_same_as_birth = p.gender_same_as_birth,
       person_ethnicity = p.ethnicity, person_disability = p.disability, person_sexual_orientation = p.sexual_orientation, person_religion = p.religion
  from people p
 where p.id = c.person_id;

create function contact_person_facts() returns trigger language plpgsql as $$
begin
  if new.person_id is null then
    new.person_role := null; new.person_born := null; new.person_sex := null; new.person_gender_same_as_birth := null;
    new.person_ethnicity := null; new.person_disability := null; new.person_sexual_orientation := null; new.person_religion := null;
  else
    select p.role, p.date_of_birth, p.sex, p.gender_same_as_birth, p.ethnicity, p.disability, p.sexual_orientation, p.religion
      into new.person_role, new.person_born, new.person_sex, new.person_gender_same_as_birth,
           new.person_ethnicity, new.person_disability, new.person_sexual_orientation, new.person_religion
      from people p where p.id = new.person_id;
  end if;
  return new;
end $$;
create trigger contacts_person_facts before insert or update of person_id on contacts
  for each row execute function contact_person_facts();

create function person_facts_to_contacts() returns trigger language plpgsql as $$
begin
  update contacts
     set person_role = new.role, person_born = new.date_of_birth, person_sex = new.sex, person_gender_same_as_birth = new.gender_same_as_birth,
         person_ethnicity = new.ethnicity, person_disability = new.disability, person_sexual_orientation = new.sexual_orientation, person_religion = new.religion
   where person_id = new.id;
  return null;
end $$;
create trigger people_facts_to_contacts after update of role, date_of_birth, sex, gender_same_as_birth, ethnicity, disability, sexual_orientation, religion on people
  for each row execute function person_facts_to_contacts();

-- A period's contacts of people, with what the people measure reads.
create index contacts_people_period on contacts (partnership_id, received_at)
  include (person_id, id, previous_contact_at, person_role, person_born, person_sex, person_gender_same_as_birth,
           person_ethnicity, person_disability, person_sexual_orientation, person_religion)
  where person_id is not null;
