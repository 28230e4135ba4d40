"""Names and titles for the demo company's book: fictional, varied, deterministic."""

from __future__ import annotations

USERS = [
    # email, first, last, role, language, title
    ("admin@rapport.demo", "Alice", "Martin", "administrator", "en", "Operations director"),
    ("head@rapport.demo", "Hélène", "Dubois", "head_of_account_management", "fr", "Head of account management"),
    ("marc@rapport.demo", "Marc", "Lefèvre", "account_manager", "fr", "Senior account manager"),
    ("sofia@rapport.demo", "Sofia", "Rossi", "account_manager", "en", "Account manager"),
    ("james@rapport.demo", "James", "Carter", "account_manager", "en", "Account manager"),
    ("nina@rapport.demo", "Nina", "Patel", "account_executive", "en", "Account executive"),
    ("omar@rapport.demo", "Omar", "Haddad", "team_member", "fr", "Support lead"),
    ("claire@rapport.demo", "Claire", "Bernard", "read_only", "fr", "Finance controller"),
]
DEMO_PASSWORD = "rapport-demo-2026"

NAME_STEMS = [
    "Norvik", "Helio", "Brightwater", "Castellan", "Meridian", "Alderon", "Bellwether", "Corvane",
    "Duvall", "Estrella", "Fjordline", "Granite Peak", "Harbourside", "Isara", "Juniper", "Kestrel",
    "Lumen", "Marlowe", "Northgate", "Oakridge", "Pallas", "Quayside", "Rivage", "Sablon",
    "Tessaro", "Ulmer", "Valmont", "Westbrook", "Xanthe", "Yarrow", "Zephyr", "Argent",
    "Boreal", "Cedarline", "Delphine", "Emberly", "Fairhaven", "Gaillard", "Highmoor", "Ivory Coast",
    "Jadeport", "Kingsmere", "Lavande", "Montclair", "Nereid", "Orchard", "Perrin", "Quillon",
    "Redfern", "Solenne",
]
INDUSTRY_SUFFIXES = {
    "manufacturing": ["Industries", "Manufacturing", "Components"],
    "financial_services": ["Capital", "Bank", "Assurance"],
    "healthcare": ["Health", "Medical", "Clinics"],
    "retail": ["Retail", "Stores", "Commerce"],
    "software": ["Software", "Systems", "Labs"],
    "energy": ["Energy", "Power", "Renewables"],
    "logistics": ["Logistics", "Freight", "Transport"],
    "telecommunications": ["Telecom", "Networks", "Connect"],
    "public_sector": ["Metropole", "Regional Council", "Agency"],
    "education": ["University", "Academy", "Learning"],
    "media": ["Media", "Studios", "Publishing"],
    "professional_services": ["Consulting", "Partners", "Advisory"],
}
COUNTRIES = ["FR", "FR", "FR", "BE", "CH", "DE", "GB", "GB", "US", "US", "CA", "ES", "IT", "NL", "LU"]

FIRST_NAMES = [
    "Camille", "Louis", "Emma", "Hugo", "Léa", "Lucas", "Chloé", "Nathan", "Manon", "Thomas",
    "Sarah", "Julien", "Inès", "Antoine", "Zoé", "Maxime", "Laura", "Nicolas", "Pauline", "Mehdi",
    "Olivia", "Daniel", "Charlotte", "Benjamin", "Amélie", "Samuel", "Eva", "Karim", "Julia", "Adrien",
    "Grace", "William", "Hannah", "Oliver", "Sophie", "Lukas", "Anna", "Matteo", "Elena", "Pieter",
    "Ingrid", "Jonas", "Aisha", "Ravi", "Mei", "Diego", "Lucía", "Tom", "Fatou", "Yann",
]
LAST_NAMES = [
    "Moreau", "Laurent", "Simon", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Blanc", "Guérin", "Muller", "Faure",
    "André", "Mercier", "Chevalier", "Legrand", "Gauthier", "Perrin", "Robin", "Clément", "Morin", "Nicolas",
    "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Smith", "Johnson", "Brown", "Taylor", "Wilson",
    "Schneider", "Fischer", "Weber", "Rossi", "Bianchi", "Janssen", "De Vries", "Fernández", "Nowak", "Okafor",
]

# The reporting tree of a typical client: (title, department, index of the manager in this list).
ORG_TEMPLATE = [
    ("Chief Executive Officer", "Executive", None),
    ("Chief Financial Officer", "Finance", 0),
    ("Chief Information Officer", "IT", 0),
    ("Chief Operating Officer", "Operations", 0),
    ("VP Procurement", "Procurement", 1),
    ("Head of IT Infrastructure", "IT", 2),
    ("Enterprise Architect", "IT", 2),
    ("Director of Operations", "Operations", 3),
    ("Operations Manager", "Operations", 7),
    ("Business Analyst", "Operations", 7),
    ("Procurement Manager", "Procurement", 4),
    ("IT Project Manager", "IT", 5),
    ("Finance Controller", "Finance", 1),
    ("Data Protection Officer", "Legal", 0),
]
