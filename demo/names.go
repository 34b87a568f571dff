package demo

// Synthetic name and place lists. Surnames are weighted by position: the
// first ones are the most common, as in the UK.
var surnames = []string{
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
	"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
	"Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
	"Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
	"James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
	"Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
	"Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
	"Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
	"Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
	"Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
	"Smithson", "Smyth", "Smithers", "Smillie", "O'Brien", "O'Neill", "McDonald", "MacLeod", "Ahmed", "Nowak",
	"Kowalski", "Okafor", "Nguyen", "Chen", "Da Silva", "Brontë", "Ní Bhriain", "Fitzgerald", "Llewellyn", "Pryce",
}

var femaleNames = []string{
	"Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
	"Grace", "Freya", "Florence", "Willow", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
	"Margaret", "Susan", "Patricia", "Elizabeth", "Mary", "Jean", "Dorothy", "Joan", "Sarah", "Helen",
	"Karen", "Julie", "Claire", "Nicola", "Emma", "Rebecca", "Laura", "Hannah", "Chloe", "Jessica",
	"Zoë", "Siobhán", "Aoife", "Fatima", "Aisha", "Priya", "Mei", "Agnieszka", "Chiamaka", "Bethan",
}

var maleNames = []string{
	"Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Oscar", "Harry", "Archie", "Jack",
	"Henry", "Charlie", "Freddie", "Theodore", "Thomas", "Finley", "Theo", "Alfie", "Jacob", "William",
	"John", "David", "Michael", "Peter", "Robert", "James", "Paul", "Richard", "Stephen", "Mark",
	"Andrew", "Christopher", "Daniel", "Matthew", "Gareth", "Ian", "Kevin", "Gary", "Steven", "Anthony",
	"Seán", "Rhys", "Dafydd", "Ahmed", "Ravi", "Wei", "Piotr", "Chukwuemeka", "Callum", "Euan",
}

type town struct {
	name, county string
	outward      []string
	dial         string
}

var towns = []town{
	{"Leeds", "West Yorkshire", []string{"LS1", "LS2", "LS6", "LS7", "LS8", "LS11", "LS17"}, "0113"},
	{"Manchester", "Greater Manchester", []string{"M1", "M4", "M13", "M14", "M20", "M21"}, "0161"},
	{"Birmingham", "West Midlands", []string{"B1", "B5", "B13", "B15", "B29"}, "0121"},
	{"Newcastle upon Tyne", "Tyne and Wear", []string{"NE1", "NE2", "NE4", "NE6"}, "0191"},
	{"Bristol", "Bristol", []string{"BS1", "BS6", "BS7", "BS8", "BS16"}, "0117"},
	{"Sheffield", "South Yorkshire", []string{"S1", "S7", "S10", "S11"}, "0114"},
}

var streets = []string{
	"High Street", "Church Street", "Station Road", "Victoria Road", "Park Road", "Mill Lane",
	"Queen Street", "King Street", "Springfield Road", "Manor Road", "Chapel Lane", "Albert Road",
	"The Crescent", "Oak Avenue", "Elm Grove", "Beech Close", "Windsor Terrace", "Grange Road",
}

var practiceNames = []string{
	"The Riverside Surgery", "Church Street Medical Centre", "Park View Practice", "The Health Centre",
	"Meadowbank Surgery", "Oakwood Medical Practice", "Abbey Road Surgery", "Hillside Family Practice",
	"Market Square Surgery", "The Grange Medical Centre", "Westfield Practice", "Northgate Surgery",
}

// Local code lists of the demo EPR.
var (
	// ETHNIC_ORIGIN: local codes, translated to NHS Data Dictionary ethnic
	// categories by the demo mappings; XX has no translation on purpose.
	ethnicCodes  = []string{"W1", "W1", "W1", "W1", "W1", "W1", "W2", "W9", "M1", "M2", "M3", "M9", "A1", "A2", "A3", "A9", "B1", "B2", "B9", "C1", "O9", "NS", "XX"}
	maritalCodes = []string{"S", "M", "M", "M", "D", "W", "P", "N"}
	nhsStatuses  = []string{"01", "01", "01", "01", "01", "01", "01", "01", "02", "03", "04"}
	monthsUpper  = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
)
