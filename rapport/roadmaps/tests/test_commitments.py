"""The commitments ledger: the list and its filters, recording, one-click status, re-owning."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.communications import services as communications
from rapport.communications.choices import TouchpointKind
from rapport.communications.models import Touchpoint
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import services
from rapport.roadmaps.choices import CommitmentSource, CommitmentStatus
from rapport.roadmaps.forms.commitments import prefill_from_next_steps
from rapport.roadmaps.models import Commitment
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

LIST = reverse("roadmaps:commitment_list")
NEW = reverse("roadmaps:commitment_create")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def promise(
    personas: Personas, title: str, *, due: int | None = None, account=None, owner=None
) -> Commitment:  # type: ignore[no-untyped-def]
    return services.commitment_create(
        acting_user=personas.head,
        account=account or personas.account,
        data={
            "title": title,
            "due_on": days(due) if due is not None else None,
            "owner": owner or personas.owner,
        },
    )


def touchpoint(personas: Personas, next_steps: str) -> Touchpoint:
    return communications.touchpoint_create(
        acting_user=personas.owner,
        account=personas.account,
        data={
            "kind": TouchpointKind.CALL,
            "subject": "Quarterly call",
            "occurred_at": timezone.now(),
            "next_steps": next_steps,
        },
        stakeholders=[],
    )


# The list ------------------------------------------------------------------------------------


def test_the_ledger_filters_by_account_owner_status_and_lateness(personas: Personas) -> None:
    late = promise(personas, "Send the security review", due=-2)
    soon = promise(personas, "Share the roadmap", due=3, owner=personas.teammate)
    kept = promise(personas, "Fix the SSO", due=-9)
    services.commitment_set_status(
        commitment=kept, acting_user=personas.owner, status=CommitmentStatus.KEPT
    )
    elsewhere = promise(
        personas, "Price review", account=personas.other_account, owner=personas.outsider
    )
    client = signed_in(personas.owner)

    def titles(**query: str) -> list[str]:
        return [row.title for row in client.get(LIST, query).context["page"].object_list]

    assert titles() == [late.title, soon.title, elsewhere.title]
    assert titles(account=str(personas.account.pk)) == [late.title, soon.title]
    assert titles(owner="me") == [late.title]
    assert titles(owner=str(personas.teammate.pk)) == [soon.title]
    assert titles(overdue="true") == [late.title]
    assert titles(status="kept") == [kept.title]
    assert titles(status="any", account=str(personas.account.pk)) == [
        kept.title,
        late.title,
        soon.title,
    ]
    response = client.get(LIST, {"account": str(personas.account.pk)})
    assert response.context["account"] == personas.account
    assert "Commitments to Northwind Traders" in response.content.decode()
    assert client.get(LIST, {"owner": "nobody"}).context["invalid"] == ["owner"]


def test_rows_offer_the_buttons_only_to_who_may_change_them(personas: Personas) -> None:
    promise(personas, "Send the security review", due=-2)
    mine = signed_in(personas.owner).get(LIST).content.decode()
    assert 'name="status" value="kept"' in mine
    for reader in (personas.outsider, personas.read_only):
        page = signed_in(reader).get(LIST).content.decode()
        assert "Send the security review" in page
        assert 'name="status" value="kept"' not in page


def test_the_ledger_runs_a_fixed_number_of_queries(
    personas: Personas, settings, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 5
    client = signed_in(personas.owner)
    for number in range(2):
        promise(personas, f"Promise {number}", due=number)
    client.get(LIST)  # the session's first read is not the page's
    # Session and user, the navigation's two counts, the count and the page, the rows' editable
    # accounts, the filter's accounts and people, the model permissions (the user's and groups').
    with django_assert_num_queries(11):
        small = client.get(LIST)
    for number in range(8):
        account = AccountFactory(owner=personas.owner)
        promise(personas, f"More {number}", due=number, account=account)
    with django_assert_num_queries(11):
        large = client.get(LIST)
    assert len(small.context["page"].object_list) == 2
    assert len(large.context["page"].object_list) == 5
    assert large.context["page"].paginator.count == 10


# Recording and editing -----------------------------------------------------------------------


def test_recording_a_promise_directly(personas: Personas) -> None:
    client = signed_in(personas.teammate)
    page = client.get(NEW, {"account": personas.account.pk})
    assert page.context["form"].initial["owner"] == personas.owner.pk
    response = client.post(
        f"{NEW}?account={personas.account.pk}",
        {
            "title": "Send the admin guide",
            "due_on": days(5).isoformat(),
            "owner": personas.owner.pk,
        },
    )
    commitment = Commitment.objects.get()
    assert response.status_code == 302
    assert commitment.source == CommitmentSource.DIRECT and commitment.account == personas.account
    assert commitment.created_by == personas.teammate
    assert (
        signed_in(personas.outsider).get(NEW, {"account": personas.account.pk}).status_code == 403
    )
    assert (
        signed_in(personas.read_only).get(NEW, {"account": personas.account.pk}).status_code == 403
    )


def test_recording_a_promise_for_an_account_named_in_the_form(personas: Personas) -> None:
    client = signed_in(personas.owner)
    response = client.post(
        NEW, {"account": "Northwind Traders", "title": "Call back", "owner": personas.owner.pk}
    )
    assert response.status_code == 302
    assert Commitment.objects.get().account == personas.account
    refused = client.post(
        NEW, {"account": "Contoso", "title": "Call back", "owner": personas.owner.pk}
    )
    assert refused.status_code == 403
    assert Commitment.objects.count() == 1


def test_a_touchpoints_next_steps_become_a_commitment(personas: Personas) -> None:
    call = touchpoint(personas, "- Send the pricing grid\n- Book the training")
    detail = signed_in(personas.owner).get(call.get_absolute_url()).content.decode()
    assert f"{NEW}?touchpoint={call.pk}" in detail and "Record as a commitment" in detail
    assert (
        "Record as a commitment"
        not in signed_in(personas.read_only).get(call.get_absolute_url()).content.decode()
    )
    client = signed_in(personas.owner)
    form = client.get(NEW, {"touchpoint": call.pk}).context["form"]
    assert form.initial["title"] == "Send the pricing grid"
    assert "Book the training" in form.initial["details"]
    assert "account" not in form.fields
    response = client.post(
        f"{NEW}?touchpoint={call.pk}&next={call.get_absolute_url()}",
        {
            "title": "Send the pricing grid",
            "details": "",
            "owner": personas.owner.pk,
            "next": call.get_absolute_url(),
        },
    )
    assert response.status_code == 302 and response["Location"] == call.get_absolute_url()
    commitment = Commitment.objects.get()
    assert commitment.source == CommitmentSource.TOUCHPOINT and commitment.touchpoint == call
    assert commitment.account == personas.account


def test_next_steps_prefill() -> None:
    assert prefill_from_next_steps("") == {}
    assert prefill_from_next_steps("Send the deck") == {"title": "Send the deck"}


def test_a_commitment_is_re_owned_only_to_someone_who_may_hold_it(personas: Personas) -> None:
    commitment = promise(personas, "Send the security review", due=4)
    url = reverse("roadmaps:commitment_edit", args=[commitment.pk])
    client = signed_in(personas.owner)
    gone = UserFactory(role=Role.ACCOUNT_MANAGER, is_active=False)
    for refused in (personas.read_only, gone):
        response = client.post(
            url, {"title": commitment.title, "owner": refused.pk, "version": commitment.version}
        )
        assert response.status_code == 200 and response.context["form"].errors["owner"]
    response = client.post(
        url,
        {
            "title": commitment.title,
            "owner": personas.teammate.pk,
            "due_on": days(10).isoformat(),
            "version": commitment.version,
        },
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.owner == personas.teammate and commitment.due_on == days(10)
    stale = client.post(url, {"title": "Old", "owner": personas.owner.pk, "version": 1})
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    assert signed_in(personas.outsider).get(url).status_code == 403


# One click -----------------------------------------------------------------------------------


def test_kept_cancelled_and_reopened_in_one_click(personas: Personas) -> None:
    commitment = promise(personas, "Send the security review", due=-1)
    url = reverse("roadmaps:commitment_status", args=[commitment.pk])
    client = signed_in(personas.owner)
    response = client.post(
        url, {"status": "kept", "in_account": personas.account.pk}, headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "commitment-status-changed"
    assert "is-closed" in content and 'value="open"' in content
    assert "Northwind Traders" not in content  # the account's own page does not repeat it
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.KEPT and commitment.closed_at is not None
    client.post(url, {"status": "open"}, headers={"HX-Request": "true"})
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN and commitment.closed_at is None
    plain = client.post(url, {"status": "cancelled", "next": LIST})
    assert plain.status_code == 302 and plain["Location"] == LIST
    assert client.post(url, {"status": "lost"}).status_code == 400
    for refused in (personas.outsider, personas.read_only):
        assert signed_in(refused).post(url, {"status": "open"}).status_code == 403
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.CANCELLED


# On other pages ------------------------------------------------------------------------------


def test_the_account_page_shows_its_open_commitments(personas: Personas) -> None:
    promise(personas, "Send the security review", due=-1)
    kept = promise(personas, "Fix the SSO")
    services.commitment_set_status(
        commitment=kept, acting_user=personas.owner, status=CommitmentStatus.KEPT
    )
    client = signed_in(personas.owner)
    card_url = reverse("roadmaps:commitment_account", args=[personas.account.pk])
    page = client.get(personas.account.get_absolute_url()).content.decode()
    assert 'id="account-commitments"' in page and card_url in page
    card = client.get(card_url, headers={"HX-Request": "true"}).content.decode()
    assert "Send the security review" in card and "Fix the SSO" not in card
    assert "1 open" in card and "1 overdue" in card and "Record a commitment" in card
    assert f'name="next" value="{personas.account.get_absolute_url()}"' in card
    other = reverse("roadmaps:commitment_account", args=[personas.other_account.pk])
    empty = signed_in(personas.read_only).get(other).content.decode()
    assert "No open promise to this client." in empty and "Record a commitment" not in empty


def test_the_account_card_reads_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(personas.owner)
    url = reverse("roadmaps:commitment_account", args=[personas.account.pk])
    promise(personas, "First", due=1)
    client.get(url)
    # Session and user, the account, its open promises with their owners.
    with django_assert_num_queries(4):
        client.get(url)
    for number in range(8):
        promise(personas, f"More {number}", due=-number)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert "9 open" in response.content.decode()


def test_promises_stay_when_their_owner_changes(personas: Personas) -> None:
    commitment = promise(personas, "Send the security review", due=2)
    newcomer = UserFactory(role=Role.ACCOUNT_MANAGER)
    services.commitment_update(
        commitment=commitment,
        acting_user=personas.head,
        data={"owner": newcomer},
        expected_version=None,
    )
    card = signed_in(newcomer).get(reverse("roadmaps:commitment_today")).content.decode()
    assert "Send the security review" in card
    assert (
        "Send the security review"
        not in signed_in(personas.owner).get(reverse("roadmaps:commitment_today")).content.decode()
    )
