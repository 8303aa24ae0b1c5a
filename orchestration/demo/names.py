"""Word lists for plausible people, companies, teams and products.

Kept apart from the generators so that the logic stays readable. Names are
combined from these lists without replacement, so they are unique at every
scale the demo supports.
"""

from __future__ import annotations

import numpy as np

# fmt: off
REGIONS = ("NA-East", "NA-West", "EMEA", "APAC")

#: Sub-geographies per region: teams are named after them ("EMEA DACH").
SUBGEOS = (
    ("Northeast", "Southeast", "Mid-Atlantic", "Great Lakes", "New England", "Florida"),
    ("California", "Pacific Northwest", "Southwest", "Mountain", "Texas", "Canada West"),
    ("DACH", "UK & Ireland", "Nordics", "France & Benelux", "Southern Europe", "Middle East"),
    ("ANZ", "Japan", "Southeast Asia", "India", "Greater China", "Korea"),
)

FIRST_NAMES = (
    # Americas
    (
        "James", "Olivia", "Michael", "Emma", "Robert", "Ava", "David", "Sophia", "Daniel",
        "Isabella", "Chris", "Mia", "Kevin", "Harper", "Brian", "Evelyn", "Jason", "Abigail",
        "Ryan", "Emily", "Tyler", "Madison", "Marcus", "Chloe", "Andre", "Grace", "Luis",
        "Camila", "Carlos", "Valentina", "Jordan", "Taylor", "Nathan", "Hannah", "Derek", "Zoe",
    ),
    # EMEA
    (
        "Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Matthias", "Clara", "Oliver",
        "Amelia", "Thomas", "Charlotte", "Pierre", "Camille", "Louis", "Chloé", "Marco", "Giulia",
        "Alessandro", "Francesca", "Javier", "Lucía", "Pablo", "Carmen", "Lars", "Ingrid",
        "Mikael", "Astrid", "Jan", "Eva", "Omar", "Layla", "Tomasz", "Zofia", "Jörg", "Renée",
    ),
    # APAC
    (
        "Hiroshi", "Yuki", "Kenji", "Sakura", "Wei", "Mei", "Jun", "Xin", "Arjun", "Priya",
        "Rahul", "Ananya", "Min-jun", "Seo-yeon", "Liam", "Chloe", "Jack", "Ruby", "Noah",
        "Isla", "Ethan", "Ava", "Ravi", "Deepa", "Takumi", "Aiko", "Hao", "Lin", "Vikram",
        "Kavya", "Daniel", "Grace", "Ji-ho", "Ha-eun", "Kai", "Mila",
    ),
)

LAST_NAMES = (
    (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Hill",
        "Flores", "Green",
    ),
    (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann",
        "Dubois", "Laurent", "Lefèvre", "Moreau", "Rossi", "Bianchi", "Romano", "Ferrari",
        "García", "Fernández", "Martín", "Sánchez", "Andersson", "Johansson", "Nilsson",
        "Larsen", "de Vries", "Janssen", "Murphy", "O'Brien", "Kowalski", "Nowak", "Novák",
        "Haddad", "Evans", "Hughes", "Walsh", "Kelly",
    ),
    (
        "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Wang", "Li", "Zhang",
        "Liu", "Chen", "Yang", "Kim", "Park", "Choi", "Sharma", "Patel", "Gupta", "Singh",
        "Iyer", "Reddy", "Tan", "Lim", "Ng", "Wong", "Lee", "Nguyen", "Tran", "Santos",
        "Cruz", "Wilson", "Campbell", "Kelly", "Murray", "Ryan", "Walker",
    ),
)

COMPANY_FIRST = (
    "Acme", "Apex", "Atlas", "Beacon", "Blue River", "Cascade", "Cedar", "Cobalt", "Crescent",
    "Delta", "Eastgate", "Evergreen", "Falcon", "Frontier", "Golden Gate", "Granite", "Harbor",
    "Horizon", "Ironwood", "Keystone", "Lakeside", "Liberty", "Maple", "Meridian", "Monarch",
    "North Star", "Northwind", "Oakridge", "Orion", "Pacific", "Pinnacle", "Polaris", "Prairie",
    "Redwood", "Ridgeline", "Riverbend", "Sequoia", "Silverline", "Skyline", "Summit", "Sunrise",
    "Titan", "Trident", "Unity", "Valley", "Vanguard", "Vertex", "Westfield", "Willow", "Zenith",
)
COMPANY_SECOND = (
    "Agri", "Aqua", "Bio", "Chem", "Dairy", "Energy", "Foods", "Hydro", "Marine", "Metals",
    "Mining", "Paper", "Pharma", "Plastics", "Power", "Process", "Steel", "Textiles", "Thermal",
    "Water", "Brewing", "Cement", "Glass", "Petro", "Solar",
)
COMPANY_THIRD = (
    "Industries", "Group", "Systems", "Holdings", "Works", "Partners", "Solutions", "Technologies",
    "Manufacturing", "Services", "Resources", "International", "Enterprises", "Labs",
    "Engineering", "Supply", "Operations", "Processing", "Equipment", "Controls",
)
LEGAL_SUFFIX = (
    ("Inc.", "LLC", "Corp.", "Co."),
    ("Inc.", "LLC", "Corp.", "Ltd."),
    ("GmbH", "Ltd", "S.A.", "B.V.", "AG", "S.p.A.", "AB"),
    ("Pty Ltd", "K.K.", "Pte Ltd", "Co., Ltd.", "Pvt Ltd"),
)

INDUSTRIES = (
    "Manufacturing", "Food & Beverage", "Chemicals", "Water & Utilities", "Energy",
    "Pharmaceuticals", "Mining", "Pulp & Paper", "Automotive", "HVAC & Buildings",
)
INDUSTRY_WEIGHTS = (0.22, 0.13, 0.11, 0.12, 0.1, 0.07, 0.06, 0.05, 0.07, 0.07)

PLANNERS = ("Dana Whitfield", "Sven Adler", "Keiko Mori")
# fmt: on


def combine_unique(
    rng: np.random.Generator, parts: tuple[tuple[str, ...], ...], size: int, sep: str = " "
) -> np.ndarray:
    """`size` combinations of one word from each part, distinct while enough exist."""
    lengths = [len(p) for p in parts]
    total = int(np.prod(lengths))
    # Beyond the number of distinct combinations (very large scales) names may repeat.
    codes = rng.choice(total, size=size, replace=size > total)
    out = np.full(size, "", dtype=np.dtypes.StringDType())
    for k, part in enumerate(parts):
        div = int(np.prod(lengths[k + 1 :]))
        word = np.asarray(part, dtype=np.dtypes.StringDType())[(codes // div) % lengths[k]]
        out = word if k == 0 else np.strings.add(np.strings.add(out, sep), word)
    return out
