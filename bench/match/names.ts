/**
 * Names and postcodes for bench/match's synthetic people: UK-ish first names and surnames
 * (roughly most common first, so a skewed pick makes the common ones repeat as they do in
 * life) and a few hundred fictional postcode districts.
 */

export const FIRST_NAMES: readonly string[] = [
  'Sarah', 'Emma', 'Claire', 'Nicola', 'Lisa', 'Michelle', 'Laura', 'Rebecca', 'Karen', 'Julie',
  'Joanne', 'Rachel', 'Amanda', 'Helen', 'Louise', 'Kelly', 'Gemma', 'Hannah', 'Jessica', 'Charlotte',
  'Sophie', 'Amy', 'Lauren', 'Chloe', 'Emily', 'Olivia', 'Megan', 'Jade', 'Danielle', 'Stacey',
  'Natalie', 'Victoria', 'Katie', 'Zoe', 'Leanne', 'Kirsty', 'Jennifer', 'Elizabeth', 'Catherine', 'Deborah',
  'Tracey', 'Dawn', 'Angela', 'Carol', 'Christine', 'Jacqueline', 'Sandra', 'Janet', 'Gillian', 'Alison',
  'Caroline', 'Fiona', 'Jane', 'Mary', 'Anne', 'Margaret', 'Patricia', 'Susan', 'Linda', 'Barbara',
  'Elaine', 'Pauline', 'Wendy', 'Beverley', 'Sharon', 'Paula', 'Donna', 'Samantha', 'Kerry', 'Hayley',
  'Charlene', 'Aimee', 'Abigail', 'Bethany', 'Georgia', 'Holly', 'Ellie', 'Grace', 'Lucy', 'Molly',
  'Phoebe', 'Jasmine', 'Leah', 'Courtney', 'Shannon', 'Paige', 'Amber', 'Eleanor', 'Alice', 'Isabel',
  'Ruby', 'Mia', 'Freya', 'Evie', 'Niamh', 'Siobhan', 'Aisling', 'Bronwen', 'Rhiannon', 'Cerys',
  'Seren', 'Eilidh', 'Morag', 'Fatima', 'Aisha', 'Ayesha', 'Zainab', 'Maryam', 'Amina', 'Nadia',
  'Samira', 'Yasmin', 'Shabana', 'Nazia', 'Rukhsana', 'Parveen', 'Priya', 'Sunita', 'Anjali', 'Pooja',
  'Harpreet', 'Manpreet', 'Gurpreet', 'Simran', 'Kiran', 'Deepa', 'Rani', 'Neha', 'Agnieszka', 'Katarzyna',
  'Magdalena', 'Joanna', 'Monika', 'Ewa', 'Anna', 'Marta', 'Natalia', 'Olga', 'Ioana', 'Elena',
  'Andreea', 'Chioma', 'Ngozi', 'Adaeze', 'Abimbola', 'Funmilayo', 'Blessing', 'Precious', 'Esther', 'Ruth',
  'Naomi', 'Miriam', 'Shanice', 'Tanisha', 'Keisha', 'Aaliyah', 'Maria', 'Ana', 'Sofia', 'Lucia',
  'Carmen', 'Ines', 'Mei', 'Linh', 'Huong', 'Tamsin', 'Kayleigh', 'Chantelle', 'Jodie', 'Toni',
  'Sian', 'Lindsay', 'Heather', 'Maureen', 'Brenda', 'Irene', 'Doreen', 'Valerie', 'Sheila', 'Lorraine',
  'David', 'John', 'Michael', 'Paul', 'Mark', 'James', 'Andrew', 'Steven', 'Robert', 'Peter',
  'Christopher', 'Daniel', 'Matthew', 'Thomas', 'Ryan', 'Adam', 'Mohammed', 'Ali', 'Ahmed', 'Tomasz',
];

export const SURNAMES: readonly string[] = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson',
  'Roberts', 'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall',
  'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill',
  'Ward', 'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen',
  'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths',
  'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy',
  'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Singh',
  'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason', 'Ali',
  'Hunt', 'Hussain', 'Campbell', 'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills', 'Barnes', 'Knight',
  'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens', 'Jenkins', 'Murray', 'Dixon', 'Harvey',
  'Graham', 'Pearson', 'Ahmed', 'Fletcher', 'Walsh', 'Kaur', 'Gibson', 'Howard', 'Andrews', 'Stewart',
  'Elliott', 'Reynolds', 'Saunders', 'Payne', 'Fox', 'Ford', 'Pearce', 'Day', 'Brooks', 'West',
  'Lawrence', 'Cole', 'Atkinson', 'Bradley', 'Spencer', 'Gill', 'Dawson', 'Ball', 'Burton', "O'Brien",
  'Watts', 'Rose', 'Booth', 'Perry', 'Ryan', 'Grant', 'Wells', 'Armstrong', 'Francis', 'Rees',
  'Hayes', 'Hart', 'Hudson', 'Newman', 'Barrett', 'Webster', 'Hunter', 'Gregory', 'Carr', 'Lowe',
  'Page', 'Marsh', 'Riley', 'Dunn', 'Woods', 'Parsons', 'Berry', 'Stone', 'Reid', 'Holland',
  'Hawkins', 'Harding', 'Porter', 'Robertson', 'Newton', 'Oliver', 'Reed', 'Kennedy', 'Williamson', 'Bird',
  'Gardner', 'Shah', 'Dean', 'Lane', 'Cooke', 'Bates', 'Henderson', 'Parry', 'Burgess', 'Bishop',
  'Walton', 'Burns', 'Nicholson', 'Shepherd', 'Ross', 'Cross', 'Long', 'Freeman', 'Warren', 'Nicholls',
  'Rahman', 'Miah', 'Nowak', 'Kowalski', 'Okafor', 'Adeyemi', 'Mensah', 'Nguyen', 'Chen', 'Sharma',
];

/** Fictional postcode areas (no real UK area starts with X), 20 districts each: 300 districts. */
const AREAS = ['XA', 'XB', 'XC', 'XD', 'XE', 'XF', 'XG', 'XH', 'XJ', 'XK', 'XL', 'XM', 'XN', 'XP', 'XR'];
export const DISTRICTS: readonly string[] = AREAS.flatMap((area) => Array.from({ length: 20 }, (_, i) => `${area}${i + 1}`));

/** Letters of the inward code's unit; 9 sectors × 5 × 5 units per district ≈ 67,500 postcodes, ~15 people each at 1,000,000. */
export const UNIT_LETTERS = 'ABDEF';
