"""Names and titles for the demo company's book: fictional, varied, deterministic."""

from __future__ import annotations

from rapport.accounts.choices import LifecycleStage, Tier

USERS = [
    # email, first, last, role, language, title
    ("admin@rapport.demo", "Alice", "Martin", "administrator", "en", "Operations director"),
    (
        "head@rapport.demo",
        "Hélène",
        "Dubois",
        "head_of_account_management",
        "fr",
        "Head of account management",
    ),
    ("marc@rapport.demo", "Marc", "Lefèvre", "account_manager", "fr", "Senior account manager"),
    ("sofia@rapport.demo", "Sofia", "Rossi", "account_manager", "en", "Account manager"),
    ("james@rapport.demo", "James", "Carter", "account_manager", "en", "Account manager"),
    ("nina@rapport.demo", "Nina", "Patel", "account_executive", "en", "Account executive"),
    ("omar@rapport.demo", "Omar", "Haddad", "team_member", "fr", "Support lead"),
    ("claire@rapport.demo", "Claire", "Bernard", "read_only", "fr", "Finance controller"),
]
# Most of the team works from Paris; two colleagues cover other regions.
TIME_ZONES = {"james@rapport.demo": "America/New_York", "sofia@rapport.demo": "Europe/Rome"}
DEMO_PASSWORD = "rapport-demo-2026"  # noqa: S105  # printed on purpose: demo logins

NAME_STEMS = [
    "Norvik",
    "Helio",
    "Brightwater",
    "Castellan",
    "Meridian",
    "Alderon",
    "Bellwether",
    "Corvane",
    "Duvall",
    "Estrella",
    "Fjordline",
    "Granite Peak",
    "Harbourside",
    "Isara",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Marlowe",
    "Northgate",
    "Oakridge",
    "Pallas",
    "Quayside",
    "Rivage",
    "Sablon",
    "Tessaro",
    "Ulmer",
    "Valmont",
    "Westbrook",
    "Xanthe",
    "Yarrow",
    "Zephyr",
    "Argent",
    "Boreal",
    "Cedarline",
    "Delphine",
    "Emberly",
    "Fairhaven",
    "Gaillard",
    "Highmoor",
    "Ivory Coast",
    "Jadeport",
    "Kingsmere",
    "Lavande",
    "Montclair",
    "Nereid",
    "Orchard",
    "Perrin",
    "Quillon",
    "Redfern",
    "Solenne",
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
COUNTRIES = [
    "FR",
    "FR",
    "FR",
    "BE",
    "CH",
    "DE",
    "GB",
    "GB",
    "US",
    "US",
    "CA",
    "ES",
    "IT",
    "NL",
    "LU",
]

FIRST_NAMES = [
    "Camille",
    "Louis",
    "Emma",
    "Hugo",
    "Léa",
    "Lucas",
    "Chloé",
    "Nathan",
    "Manon",
    "Thomas",
    "Sarah",
    "Julien",
    "Inès",
    "Antoine",
    "Zoé",
    "Maxime",
    "Laura",
    "Nicolas",
    "Pauline",
    "Mehdi",
    "Olivia",
    "Daniel",
    "Charlotte",
    "Benjamin",
    "Amélie",
    "Samuel",
    "Eva",
    "Karim",
    "Julia",
    "Adrien",
    "Grace",
    "William",
    "Hannah",
    "Oliver",
    "Sophie",
    "Lukas",
    "Anna",
    "Matteo",
    "Elena",
    "Pieter",
    "Ingrid",
    "Jonas",
    "Aisha",
    "Ravi",
    "Mei",
    "Diego",
    "Lucía",
    "Tom",
    "Fatou",
    "Yann",
]
LAST_NAMES = [
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Faure",
    "André",
    "Mercier",
    "Chevalier",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Schneider",
    "Fischer",
    "Weber",
    "Rossi",
    "Bianchi",
    "Janssen",
    "De Vries",
    "Fernández",
    "Nowak",
    "Okafor",
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

# How a believable book spreads over tiers and stages (each entry one chance in the list).
TIERS = [Tier.STRATEGIC] * 1 + [Tier.KEY] * 3 + [Tier.GROWTH] * 4 + [Tier.MAINTAIN] * 2
STAGES = (
    [LifecycleStage.ONBOARDING] * 2
    + [LifecycleStage.ADOPTION] * 3
    + [LifecycleStage.GROWTH] * 4
    + [LifecycleStage.RENEWAL] * 2
    + [LifecycleStage.AT_RISK]
    + [LifecycleStage.CHURNED]
)
EMPLOYEE_RANGES = {
    Tier.STRATEGIC: (5000, 60000),
    Tier.KEY: (1000, 12000),
    Tier.GROWTH: (200, 3000),
    Tier.MAINTAIN: (50, 800),
}
LEGAL_FORMS = ["SA", "SAS", "Ltd", "GmbH", "Inc.", "BV"]

# How each title of ORG_TEMPLATE usually weighs in a purchase: decision roles and influence.
MAP_PROFILE = {
    "Chief Executive Officer": (["decision_maker"], "high"),
    "Chief Financial Officer": (["economic_buyer"], "high"),
    "Chief Information Officer": (["technical_evaluator", "influencer"], "high"),
    "Chief Operating Officer": (["influencer"], "high"),
    "VP Procurement": (["gatekeeper"], "medium"),
    "Head of IT Infrastructure": (["technical_evaluator"], "medium"),
    "Enterprise Architect": (["influencer"], "medium"),
    "Director of Operations": ([], "medium"),
    "Operations Manager": (["user"], "low"),
    "Business Analyst": (["user"], "low"),
    "Procurement Manager": ([], "low"),
    "IT Project Manager": (["user"], "low"),
    "Finance Controller": ([], "low"),
    "Data Protection Officer": ([], "medium"),
}
# Who may turn out to be our champion, in order of preference.
CHAMPION_TITLES = ["Director of Operations", "Head of IT Infrastructure", "Enterprise Architect"]
STANCES = (
    ["advocate"] * 3 + ["supporter"] * 6 + ["neutral"] * 6 + ["skeptic"] * 3 + ["opponent"] * 2
)

# Communications. Each exchange reads in the client's language: French for accounts in French-
# speaking countries, English elsewhere. An entry is (subject, Markdown notes, outcome, next
# step); the next step, when there is one, also becomes a follow-up task.
FRENCH_SPEAKING_COUNTRIES = {"FR", "BE", "CH", "LU"}
Exchange = tuple[str, str, str, str]
EXCHANGES: dict[str, list[tuple[Exchange, Exchange]]] = {
    "call": [
        (
            (
                "Monthly check-in",
                "- Adoption steady across the teams\n- Asked about the **reporting** module",
                "On track",
                "Send the reporting module overview",
            ),
            (
                "Point mensuel",
                "- Adoption stable dans les équipes\n- Question sur le module de **reporting**",
                "Tout est en ordre",
                "Envoyer la présentation du module de reporting",
            ),
        ),
        (
            (
                "Licence count review",
                "Usage is at 92 % of seats; a second site goes live in the spring.",
                "Expansion likely next quarter",
                "Prepare an expansion quote",
            ),
            (
                "Revue du nombre de licences",
                "Utilisation à 92 % des licences ; un second site démarre au printemps.",
                "Extension probable au prochain trimestre",
                "Préparer un devis d’extension",
            ),
        ),
        (
            (
                "Support escalation follow-up",
                "Ticket backlog cleared; they want a named contact for incidents.",
                "Calmer, still watchful",
                "Introduce the support lead",
            ),
            (
                "Suivi de l’escalade support",
                "Tickets en attente résorbés ; ils souhaitent un interlocuteur dédié pour les "
                "incidents.",
                "Climat apaisé, vigilance maintenue",
                "Présenter le responsable support",
            ),
        ),
        (
            (
                "Renewal timing",
                "Budget cycle closes in October; procurement needs the paperwork a month before.",
                "Renewal path agreed",
                "Send the renewal timeline",
            ),
            (
                "Calendrier du renouvellement",
                "Le cycle budgétaire se clôt en octobre ; les achats veulent les documents un mois "
                "avant.",
                "Démarche de renouvellement validée",
                "Envoyer le calendrier de renouvellement",
            ),
        ),
    ],
    "meeting": [
        (
            (
                "Roadmap workshop",
                "1. Priorities for the next two quarters\n2. Integration with their ERP\n"
                "3. Training for new hires",
                "Three priorities agreed",
                "Share the workshop summary",
            ),
            (
                "Atelier feuille de route",
                "1. Priorités des deux prochains trimestres\n2. Intégration avec leur ERP\n"
                "3. Formation des nouveaux arrivants",
                "Trois priorités retenues",
                "Partager le compte rendu de l’atelier",
            ),
        ),
        (
            (
                "Onboarding steering committee",
                "Go-live moved by two weeks: data migration took longer than planned.",
                "New go-live date set",
                "Update the onboarding plan",
            ),
            (
                "Comité de pilotage du déploiement",
                "Mise en service décalée de deux semaines : la reprise de données a pris plus de "
                "temps que prévu.",
                "Nouvelle date de mise en service fixée",
                "Mettre à jour le plan de déploiement",
            ),
        ),
        (
            (
                "Security questionnaire review",
                "Their DPO asked about **data residency** and sub-processors.",
                "Two answers pending",
                "Send the sub-processor list",
            ),
            (
                "Revue du questionnaire sécurité",
                "Leur DPO a posé des questions sur la **localisation des données** et les "
                "sous-traitants.",
                "Deux réponses en attente",
                "Envoyer la liste des sous-traitants",
            ),
        ),
    ],
    "email": [
        (
            ("Slides from our last meeting", "Sent the deck and the action list.", "", ""),
            (
                "Support de notre dernière réunion",
                "Envoi du support et de la liste d’actions.",
                "",
                "",
            ),
        ),
        (
            (
                "Invoice question",
                "Their accounts payable asked for a PO number on the invoice.",
                "Corrected invoice sent",
                "",
            ),
            (
                "Question sur la facture",
                "La comptabilité fournisseurs demande un numéro de commande sur la facture.",
                "Facture corrigée envoyée",
                "",
            ),
        ),
        (
            (
                "Training sessions for new users",
                "Proposed two dates in the coming weeks.",
                "Waiting for their choice",
                "Confirm the training date",
            ),
            (
                "Sessions de formation pour les nouveaux utilisateurs",
                "Deux dates proposées dans les semaines à venir.",
                "En attente de leur choix",
                "Confirmer la date de formation",
            ),
        ),
    ],
    "business_review": [
        (
            (
                "Quarterly business review",
                "## Results\n- Processing time down 18 %\n- 240 active users\n\n"
                "## Next quarter\n- Roll out to a second site\n- Sponsor review in June",
                "Goals renewed for the next quarter",
                "Send the business review report",
            ),
            (
                "Revue d’affaires trimestrielle",
                "## Résultats\n- Délai de traitement réduit de 18 %\n- 240 utilisateurs actifs\n\n"
                "## Prochain trimestre\n- Déploiement sur un second site\n- Revue avec le sponsor "
                "en juin",
                "Objectifs reconduits pour le trimestre suivant",
                "Envoyer le compte rendu de la revue",
            ),
        ),
        (
            (
                "Half-year review with the executive team",
                "ROI presented; the CFO wants the savings broken down by site.",
                "Sponsor confirmed for next year",
                "Break the savings down by site",
            ),
            (
                "Bilan semestriel avec la direction",
                "ROI présenté ; le DAF souhaite le détail des économies par site.",
                "Sponsor confirmé pour l’an prochain",
                "Détailler les économies par site",
            ),
        ),
    ],
    "site_visit": [
        (
            (
                "Visit to the main site",
                "Met the operations team on the floor; the warehouse scanners need an update.",
                "Good rapport with operations",
                "Plan the scanner update",
            ),
            (
                "Visite du site principal",
                "Rencontre avec l’équipe d’exploitation sur place ; les scanners de l’entrepôt "
                "doivent être mis à jour.",
                "Très bon contact avec l’exploitation",
                "Planifier la mise à jour des scanners",
            ),
        ),
        (
            (
                "Training day on site",
                "Twelve users trained; questions on the mobile app.",
                "Users confident",
                "Send the mobile app guide",
            ),
            (
                "Journée de formation sur site",
                "Douze utilisateurs formés ; questions sur l’application mobile.",
                "Utilisateurs à l’aise",
                "Envoyer le guide de l’application mobile",
            ),
        ),
    ],
    "chat": [
        (
            (
                "Quick question on the export",
                "Pointed them to the CSV export settings.",
                "Solved",
                "",
            ),
            (
                "Question rapide sur l’export",
                "Indication des réglages de l’export CSV.",
                "Résolu",
                "",
            ),
        ),
        (
            (
                "Outage this morning?",
                "Confirmed a 20-minute incident, now resolved; status page link shared.",
                "Informed",
                "",
            ),
            (
                "Panne ce matin ?",
                "Incident de 20 minutes confirmé, résolu ; lien vers la page de statut partagé.",
                "Client informé",
                "",
            ),
        ),
    ],
    "note": [
        (
            (
                "Reorganisation announced",
                "Their IT and operations teams merge next month; our champion may change role.",
                "",
                "Update the account map",
            ),
            (
                "Réorganisation annoncée",
                "Les équipes informatique et exploitation fusionnent le mois prochain ; notre "
                "champion pourrait changer de poste.",
                "",
                "Mettre à jour la cartographie du compte",
            ),
        ),
        (
            (
                "Competitor spotted",
                "A competitor demoed to their finance team last week.",
                "",
                "Schedule a call with the CFO",
            ),
            (
                "Concurrent repéré",
                "Un concurrent a fait une démonstration à leur équipe finance la semaine dernière.",
                "",
                "Planifier un appel avec le DAF",
            ),
        ),
    ],
}
# Recent bad news, so that the today view has something to warn about.
ESCALATIONS: list[tuple[Exchange, Exchange]] = [
    (
        (
            "Escalation: repeated sync failures",
            "The nightly sync failed three times this week; their operations director is "
            "**frustrated**.",
            "Fix promised by Friday",
            "Confirm the fix with engineering",
        ),
        (
            "Escalade : échecs de synchronisation répétés",
            "La synchronisation nocturne a échoué trois fois cette semaine ; leur directeur des "
            "opérations est **mécontent**.",
            "Correctif promis pour vendredi",
            "Confirmer le correctif avec l’équipe technique",
        ),
    ),
    (
        (
            "Unhappy with the renewal quote",
            "Procurement finds the 8 % uplift unjustified and mentions a tender.",
            "Pricing to be reviewed",
            "Prepare a revised offer",
        ),
        (
            "Insatisfaits du devis de renouvellement",
            "Les achats jugent la hausse de 8 % injustifiée et évoquent un appel d’offres.",
            "Tarif à revoir",
            "Préparer une offre révisée",
        ),
    ),
]
PLANNED_MEETING = ("Preparation for the business review", "Préparation de la revue d’affaires")
# How often each kind comes up in an ordinary month (business reviews are placed on their own).
KIND_WEIGHTS = {"call": 30, "email": 25, "meeting": 18, "chat": 9, "note": 8, "site_visit": 4}
DURATIONS = {
    "call": (15, 45),
    "meeting": (30, 60),
    "business_review": (60, 90),
    "site_visit": (120, 240),
}
# Exchanges over the months before today, by tier.
EXCHANGES_PER_TIER: dict[str, int] = {
    Tier.STRATEGIC: 20,
    Tier.KEY: 13,
    Tier.GROWTH: 8,
    Tier.MAINTAIN: 5,
}
# A few things each person must do, so everyone's today view has work in it:
# (title, days from today until due, done, about one of their accounts).
PERSONAL_TASKS = [
    ("Prepare the pipeline review", -3, False, False),
    ("Update the account plan", -1, False, True),
    ("Book next month's check-ins", 2, False, False),
    ("Read the churn analysis", 5, False, False),
    ("Send the partner newsletter input", -6, True, False),
]
MANAGER_EMAILS = ["marc@rapport.demo", "sofia@rapport.demo", "james@rapport.demo"]
# E-mails uploaded that matched no account, waiting on the review page:
# (uploader, subject, sender, body, file, days ago).
UNMATCHED_EMAILS = [
    (
        "marc@rapport.demo",
        "Introduction : nouvelle responsable des achats",
        "Jeanne Morel <jeanne.morel@groupe-altavia.example>",
        "Bonjour Marc,\n\nJe reprends le suivi des achats informatiques du groupe. Pouvons-nous "
        "nous appeler la semaine prochaine ?\n\nJeanne Morel",
        "boite-de-reception.mbox",
        2,
    ),
    (
        "sofia@rapport.demo",
        "RE: Pilot for our Antwerp branch",
        "Pieter Claes <p.claes@havenlogistics.example>",
        "Hi Sofia,\n\nThe Antwerp team would like to start the pilot in the first week of next "
        "month. Could you send the onboarding checklist?\n\nBest,\nPieter",
        "antwerp-pilot.eml",
        4,
    ),
    (
        "james@rapport.demo",
        "Demo request",
        "Dana Whitfield <dana@brightline-clinics.example>",
        "Hello James,\n\nWe met at the healthcare summit. Our operations team would like a demo "
        "before the end of the quarter.\n\nDana",
        "demo-request.eml",
        1,
    ),
]

# Roadmaps, handoffs and commitments -----------------------------------------------------------

# What the account executive wrote at deal close, in the client's language:
# (what was sold, the client's goals, promises one per line, risks, agreed next steps).
Handoff = tuple[str, str, str, str, str]
HANDOFFS: list[tuple[Handoff, Handoff]] = [
    (
        (
            "Platform licence for 350 seats, the analytics module and premium support for three "
            "years.",
            "Replace three regional tools with one before the next budget cycle; halve the time "
            "their managers spend on monthly reporting.",
            "- Weekly progress report during onboarding\n- Single sign-on live before go-live\n"
            "- A named support contact for the first six months",
            "The IT director championed a competitor until late in the deal; the data migration "
            "from the legacy tool is larger than estimated.",
            "Kickoff with both teams, then a technical workshop on the migration.",
        ),
        (
            "Licence plateforme pour 350 utilisateurs, module d'analyse et support premium sur "
            "trois ans.",
            "Remplacer trois outils régionaux par un seul avant le prochain cycle budgétaire ; "
            "diviser par deux le temps passé par les managers sur le reporting mensuel.",
            "- Point d'avancement hebdomadaire pendant l'accueil\n- Authentification unique en "
            "place avant la mise en service\n- Un contact support nommé pendant six mois",
            "Le DSI a soutenu un concurrent jusqu'à la fin ; la reprise des données de l'ancien "
            "outil est plus lourde que prévu.",
            "Réunion de lancement avec les deux équipes, puis atelier technique sur la reprise.",
        ),
    ),
    (
        (
            "Platform licence for 120 seats with the standard onboarding package.",
            "Give the sales team one view of each customer; first dashboards to the board next "
            "quarter.",
            "- Training for the twelve team leads\n- Dashboard templates for the board",
            "Small internal team; the champion is going on leave for two weeks next month.",
            "Kickoff call, then the training plan.",
        ),
        (
            "Licence plateforme pour 120 utilisateurs avec l'offre d'accueil standard.",
            "Donner à l'équipe commerciale une vue unique de chaque client ; premiers tableaux de "
            "bord au conseil d'administration au prochain trimestre.",
            "- Formation des douze chefs d'équipe\n- Modèles de tableaux de bord pour le conseil",
            "Petite équipe interne ; le sponsor côté client part deux semaines en congé le mois "
            "prochain.",
            "Appel de lancement, puis plan de formation.",
        ),
    ),
]
# Promises entered directly: (manager, title, due in days; negative: overdue).
COMMITMENTS = [
    ("marc@rapport.demo", "Send the answers to the security questionnaire", 2),
    ("sofia@rapport.demo", "Share the quarterly usage report", 4),
    ("james@rapport.demo", "Confirm the single sign-on go-live date", -5),
    ("james@rapport.demo", "Propose two dates for the executive review", 12),
]
ROADMAP_MESSAGE = (
    "Here is where we are together: the milestones ahead, and who does what. It updates as we go."
)
REASSIGNMENT_REASON = "Rebalancing the books: Sofia takes over part of James's European accounts."
