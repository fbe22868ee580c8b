import pytest
from auditlog.models import LogEntry
from django.urls import reverse


def reveal(member):
    return reverse("portal:member_phone_reveal", kwargs={"pk": member.pk})


@pytest.mark.django_db
def test_reveal_returns_the_phone_and_writes_an_access_log(login, guide_a, member_a):
    response = login(guide_a).post(reveal(member_a), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert member_a.phone in response.text
    assert "<html" not in response.text
    entry = LogEntry.objects.get(object_pk=str(member_a.pk))
    assert entry.actor == guide_a
    assert entry.action == LogEntry.Action.ACCESS
    assert entry.additional_data["event"] == "phone_reveal"
    assert member_a.phone not in str(entry.additional_data)


@pytest.mark.django_db
def test_reveal_without_javascript_renders_the_detail_with_the_phone(login, manager_a, member_a):
    response = login(manager_a).post(reveal(member_a))

    assert response.status_code == 200
    assert member_a.phone in response.text
    assert "no-store" in response["Cache-Control"]
    assert LogEntry.objects.filter(object_pk=str(member_a.pk)).count() == 1


@pytest.mark.django_db
def test_reveal_of_another_stores_member_is_404_and_logs_nothing(login, manager_a, canary_b):
    response = login(manager_a).post(reveal(canary_b), headers={"HX-Request": "true"})

    assert response.status_code == 404
    assert canary_b.phone not in response.text
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
def test_reveal_by_get_is_refused(login, manager_a, member_a):
    response = login(manager_a).get(reveal(member_a))

    assert response.status_code == 405
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
def test_reveal_needs_a_csrf_token(manager_a, member_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_a)

    response = client.post(reveal(member_a))

    assert response.status_code == 403
    assert not LogEntry.objects.exists()
