from django.db import migrations

# A copy, not an import: a migration keeps the playbooks it shipped whatever the code becomes.
# Each item: kind, title, description, offset in days, and optionally the anchor ("reference"
# counts from the playbook's reference date), duration (days it starts before it is due),
# owner side and role, whether the client sees it, and the title of the item it comes after.
OURS, CLIENT = "ours", "client"
MILESTONE, TASK, COMMUNICATION = "milestone", "task", "communication"


def step(kind, title, description, offset, **extra):
    return {"kind": kind, "title": title, "description": description, "offset": offset, **extra}


ENTERPRISE = {
    "name": "Enterprise onboarding",
    "kind": "onboarding",
    "description": (
        "90 days from signature to a first business review, for strategic and key accounts: "
        "a kickoff with both teams, a technical set-up run by our support lead, executive "
        "sponsors aligned on each side, and adoption measured against a success plan the "
        "client signed off."
    ),
    "phases": [
        (
            "Kickoff & set-up",
            [
                step(
                    TASK,
                    "Read the handoff and prepare the kickoff",
                    "Go through what was sold, the promises made, the account map and the risks "
                    "noted by the account executive; draft the agenda and the success criteria "
                    "to propose.",
                    0,
                    role="account_manager",
                    client=False,
                ),
                step(
                    COMMUNICATION,
                    "Kickoff call",
                    "Introduce both teams, confirm the client's goals and how success will be "
                    "measured, walk through this plan and agree on a check-in cadence.",
                    0,
                    role="account_manager",
                    after="Read the handoff and prepare the kickoff",
                ),
                step(
                    TASK,
                    "Map the client's stakeholders",
                    "Record everyone met at kickoff in the account map: their roles in decisions, "
                    "their stance, and who reports to whom.",
                    5,
                    role="account_manager",
                    client=False,
                    after="Kickoff call",
                ),
                step(
                    MILESTONE,
                    "Success plan signed off",
                    "The client's champion confirms the goals, the success measures and the "
                    "dates of this plan in writing.",
                    10,
                    side=CLIENT,
                    role="champion",
                    after="Kickoff call",
                ),
                step(
                    TASK,
                    "Technical set-up",
                    "User accounts, single sign-on, integrations and the first data import "
                    "configured and tested with the client's technical contact.",
                    14,
                    duration=10,
                    role="support_lead",
                    after="Kickoff call",
                ),
                step(
                    COMMUNICATION,
                    "Week-2 check-in",
                    "A short call: set-up progress, blockers, first questions from users.",
                    14,
                    role="account_manager",
                    after="Kickoff call",
                ),
                step(
                    COMMUNICATION,
                    "Executive sponsor alignment",
                    "Our executive sponsor meets the client's decision maker to confirm the "
                    "business outcomes expected and open a direct line between executives.",
                    21,
                    role="executive_sponsor",
                    after="Success plan signed off",
                ),
            ],
        ),
        (
            "Adoption",
            [
                step(
                    TASK,
                    "Train the client's administrators",
                    "Hands-on sessions for the people who will run the product day to day: "
                    "settings, users, reports, where to get help.",
                    28,
                    duration=5,
                    role="support_lead",
                    after="Technical set-up",
                ),
                step(
                    MILESTONE,
                    "First team live",
                    "The first team works in the product every day, with its own data.",
                    42,
                    side=CLIENT,
                    role="champion",
                    after="Train the client's administrators",
                ),
                step(
                    TASK,
                    "Usage review",
                    "Compare usage with the success plan; list the teams that lag and plan "
                    "help for each one.",
                    56,
                    role="account_manager",
                    client=False,
                    after="First team live",
                ),
                step(
                    COMMUNICATION,
                    "Monthly check-in",
                    "Adoption so far, feedback from users, what is planned for the rollout.",
                    60,
                    role="account_manager",
                ),
                step(
                    MILESTONE,
                    "Rollout to every team approved",
                    "The client's decision maker approves using the product across every team "
                    "in scope.",
                    70,
                    side=CLIENT,
                    role="decision_maker",
                    after="First team live",
                ),
            ],
        ),
        (
            "Value review",
            [
                step(
                    TASK,
                    "Prepare the first business review",
                    "Gather usage figures, results against the success measures, open issues, "
                    "and a proposal for the next quarter's goals.",
                    80,
                    duration=5,
                    role="account_manager",
                    client=False,
                    after="Usage review",
                ),
                step(
                    TASK,
                    "Rehearse the review with our executive sponsor",
                    "Agree on the message, the asks (a reference, an expansion) and the risks to "
                    "raise.",
                    82,
                    role="executive_sponsor",
                    client=False,
                    after="Prepare the first business review",
                ),
                step(
                    COMMUNICATION,
                    "First business review",
                    "With the decision maker and the champion: outcomes against the success "
                    "plan, what comes next, and goals for the next quarter.",
                    85,
                    role="account_manager",
                    after="Prepare the first business review",
                ),
                step(
                    MILESTONE,
                    "Onboarding complete",
                    "The client's decision maker confirms the onboarding goals are met; the "
                    "account moves to regular account management.",
                    90,
                    side=CLIENT,
                    role="decision_maker",
                    after="First business review",
                ),
            ],
        ),
    ],
}

MID_MARKET = {
    "name": "Mid-market onboarding",
    "kind": "onboarding",
    "description": (
        "30 days, run by the account manager for growth accounts: one kickoff, a set-up done "
        "in the first week, a week-2 check-in, and a closing review that hands over to the "
        "regular check-in cadence."
    ),
    "phases": [
        (
            "Kickoff & set-up",
            [
                step(
                    COMMUNICATION,
                    "Kickoff call",
                    "Meet the champion, agree on two or three outcomes that will show success, "
                    "and plan the set-up.",
                    0,
                    role="account_manager",
                ),
                step(
                    MILESTONE,
                    "Goals confirmed",
                    "The champion confirms in writing the outcomes agreed at kickoff.",
                    3,
                    side=CLIENT,
                    role="champion",
                    after="Kickoff call",
                ),
                step(
                    TASK,
                    "Set-up complete",
                    "User accounts created, data imported, the main integration switched on.",
                    7,
                    duration=5,
                    role="support_lead",
                    after="Kickoff call",
                ),
            ],
        ),
        (
            "Go-live",
            [
                step(
                    TASK,
                    "Team training",
                    "One session for the whole team, recorded and shared with the client.",
                    10,
                    role="support_lead",
                    after="Set-up complete",
                ),
                step(
                    COMMUNICATION,
                    "Week-2 check-in",
                    "How the first days went, blockers, questions from the team.",
                    14,
                    role="account_manager",
                ),
                step(
                    MILESTONE,
                    "Live in daily use",
                    "The team works in the product every day.",
                    21,
                    side=CLIENT,
                    role="champion",
                    after="Team training",
                ),
                step(
                    TASK,
                    "Adoption health check",
                    "Check usage and the tone of recent exchanges; flag the account if adoption "
                    "lags.",
                    25,
                    role="account_manager",
                    client=False,
                    after="Live in daily use",
                ),
                step(
                    COMMUNICATION,
                    "Onboarding review",
                    "Review what is live against the goals, agree on the next ones, and set the "
                    "regular check-in cadence.",
                    30,
                    role="account_manager",
                    after="Adoption health check",
                ),
            ],
        ),
    ],
}

RENEWAL = {
    "name": "Renewal",
    "kind": "renewal",
    "description": (
        "Starts 120 days before the contract ends so the renewal is signed two weeks ahead: "
        "a health review, a business review with the economic buyer, then proposal, "
        "negotiation and signature."
    ),
    "reference_label": "contract end",
    "lead_days": 120,
    "phases": [
        (
            "Prepare",
            [
                step(
                    TASK,
                    "Renewal health review",
                    "Review usage, support history, the tone of recent exchanges, the account "
                    "map and open commitments; rate the renewal risk and note what could block "
                    "it.",
                    -120,
                    anchor="reference",
                    role="account_manager",
                    client=False,
                ),
                step(
                    TASK,
                    "Agree on the renewal strategy",
                    "With our executive sponsor: the terms to propose, any expansion, and who "
                    "meets whom on the client's side.",
                    -105,
                    anchor="reference",
                    role="executive_sponsor",
                    client=False,
                    after="Renewal health review",
                ),
                step(
                    COMMUNICATION,
                    "Business review with the economic buyer",
                    "The value delivered this term against the client's goals, and their plans "
                    "for next year.",
                    -90,
                    anchor="reference",
                    role="account_manager",
                    after="Agree on the renewal strategy",
                ),
            ],
        ),
        (
            "Propose & negotiate",
            [
                step(
                    TASK,
                    "Send the renewal proposal",
                    "Terms, pricing and any expansion, built on what the business review showed.",
                    -60,
                    anchor="reference",
                    duration=5,
                    role="account_manager",
                    after="Business review with the economic buyer",
                ),
                step(
                    MILESTONE,
                    "Proposal feedback received",
                    "The economic buyer comes back with questions or changes to the proposal.",
                    -45,
                    anchor="reference",
                    side=CLIENT,
                    role="economic_buyer",
                    after="Send the renewal proposal",
                ),
                step(
                    COMMUNICATION,
                    "Negotiation call",
                    "Settle the open points on terms and price with the economic buyer and "
                    "procurement.",
                    -30,
                    anchor="reference",
                    role="account_manager",
                    after="Proposal feedback received",
                ),
            ],
        ),
        (
            "Sign",
            [
                step(
                    MILESTONE,
                    "Renewal signed",
                    "Signed two weeks before the contract ends, so nothing lapses.",
                    -14,
                    anchor="reference",
                    side=CLIENT,
                    role="decision_maker",
                    after="Negotiation call",
                ),
                step(
                    TASK,
                    "Record the new term",
                    "Update the contract dates and value, and plan the next term's roadmap.",
                    0,
                    anchor="reference",
                    role="account_manager",
                    client=False,
                    after="Renewal signed",
                ),
            ],
        ),
    ],
}

RECOVERY = {
    "name": "At-risk recovery",
    "kind": "recovery",
    "description": (
        "45 days to win back an account showing risk: falling usage, an unhappy sponsor, an "
        "escalation. Diagnose fast, escalate early, agree on a recovery plan with the client, "
        "check in every week, then review whether confidence is back."
    ),
    "phases": [
        (
            "Diagnose",
            [
                step(
                    TASK,
                    "Gather the facts",
                    "Usage trend, open tickets, the tone of recent exchanges, and who on the "
                    "client's side is unhappy and why.",
                    0,
                    role="account_manager",
                    client=False,
                ),
                step(
                    COMMUNICATION,
                    "Diagnosis call",
                    "Listen first: the client's view of what went wrong and what a good outcome "
                    "would look like.",
                    2,
                    role="account_manager",
                    after="Gather the facts",
                ),
                step(
                    TASK,
                    "Brief our executive sponsor",
                    "Share the diagnosis and decide what we can offer: people, fixes, a "
                    "commercial gesture.",
                    3,
                    role="executive_sponsor",
                    client=False,
                    after="Diagnosis call",
                ),
                step(
                    COMMUNICATION,
                    "Executive escalation call",
                    "Our executive sponsor calls the client's decision maker to acknowledge the "
                    "problem and commit to a plan.",
                    5,
                    role="executive_sponsor",
                    after="Brief our executive sponsor",
                ),
            ],
        ),
        (
            "Recover",
            [
                step(
                    MILESTONE,
                    "Recovery plan agreed",
                    "A written plan with actions, owners and dates, agreed with the client's "
                    "decision maker.",
                    10,
                    side=CLIENT,
                    role="decision_maker",
                    after="Executive escalation call",
                ),
                step(
                    COMMUNICATION,
                    "Weekly check-in: week 1",
                    "Progress on the plan's actions, and anything new.",
                    14,
                    role="account_manager",
                    after="Recovery plan agreed",
                ),
                step(
                    COMMUNICATION,
                    "Weekly check-in: week 2",
                    "Progress on the plan's actions, and anything new.",
                    21,
                    role="account_manager",
                    after="Weekly check-in: week 1",
                ),
                step(
                    TASK,
                    "Fixes delivered",
                    "The product and support actions of the plan are done and confirmed with "
                    "the client's technical contact.",
                    28,
                    duration=14,
                    role="support_lead",
                    after="Recovery plan agreed",
                ),
                step(
                    COMMUNICATION,
                    "Weekly check-in: week 3",
                    "Progress on the plan's actions, and anything new.",
                    28,
                    role="account_manager",
                    after="Weekly check-in: week 2",
                ),
                step(
                    COMMUNICATION,
                    "Weekly check-in: week 4",
                    "Progress on the plan's actions, and anything new.",
                    35,
                    role="account_manager",
                    after="Weekly check-in: week 3",
                ),
            ],
        ),
        (
            "Review",
            [
                step(
                    COMMUNICATION,
                    "Recovery review",
                    "With the decision maker and our executive sponsor: what is fixed, what "
                    "remains, and whether confidence is back.",
                    42,
                    role="account_manager",
                    after="Fixes delivered",
                ),
                step(
                    TASK,
                    "Close or escalate the risk",
                    "Close the risk if the client confirms the recovery; otherwise bring a new "
                    "plan to the head of account management.",
                    45,
                    role="account_manager",
                    client=False,
                    after="Recovery review",
                ),
            ],
        ),
    ],
}

SHIPPED = [ENTERPRISE, MID_MARKET, RENEWAL, RECOVERY]


def add_playbooks(apps, schema_editor):
    Playbook = apps.get_model("roadmaps", "Playbook")
    PlaybookPhase = apps.get_model("roadmaps", "PlaybookPhase")
    PlaybookItem = apps.get_model("roadmaps", "PlaybookItem")
    for definition in SHIPPED:
        # Run again, or after someone wrote a playbook of the same name: theirs stays.
        if Playbook.objects.filter(name=definition["name"]).exists():
            continue
        playbook = Playbook.objects.create(
            name=definition["name"],
            kind=definition["kind"],
            description=definition["description"],
            reference_label=definition.get("reference_label", ""),
            lead_days=definition.get("lead_days"),
        )
        created = {}
        for phase_position, (phase_name, items) in enumerate(definition["phases"]):
            phase = PlaybookPhase.objects.create(
                playbook=playbook, name=phase_name, position=phase_position
            )
            for position, item in enumerate(items):
                created[item["title"]] = PlaybookItem.objects.create(
                    phase=phase,
                    kind=item["kind"],
                    title=item["title"],
                    description=item["description"],
                    anchor=item.get("anchor", "start"),
                    offset_days=item["offset"],
                    duration_days=item.get("duration", 0),
                    owner_side=item.get("side", OURS),
                    owner_role=item.get("role", ""),
                    client_facing=item.get("client", True),
                    # Each item comes after one listed before it, so it exists already.
                    depends_on=created[item["after"]] if "after" in item else None,
                    position=position,
                )


class Migration(migrations.Migration):
    dependencies = [("roadmaps", "0001_initial")]

    operations = [migrations.RunPython(add_playbooks, migrations.RunPython.noop)]
