import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from members.models import OwnershipChange


def rebind(member):
    return reverse("portal:member_rebind", kwargs={"pk": member.pk})


@pytest.mark.django_db
def test_manager_rebinds_a_member_to_another_guide_of_the_store(
    login, manager_a, member_a, guide_a, other_guide_a
):
    response = login(manager_a).post(
        rebind(member_a), {"guide": other_guide_a.pk, "reason": "原导购休产假"}
    )

    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.guide == other_guide_a
    change = OwnershipChange.objects.get(member=member_a)
    assert (change.from_guide, change.to_guide, change.changed_by) == (
        guide_a,
        other_guide_a,
        manager_a,
    )
    assert change.reason == "原导购休产假"
    assert LogEntry.objects.filter(additional_data__event="member_rebind").exists()


@pytest.mark.django_db
def test_manager_sees_the_rebind_form_with_own_guides_only(
    login, manager_a, member_a, other_guide_a, guide_b
):
    response = login(manager_a).get(reverse("portal:member_detail", kwargs={"pk": member_a.pk}))

    choices = list(response.context["rebind_form"].fields["guide"].queryset)
    assert other_guide_a in choices
    assert guide_b not in choices
    assert "重新绑定导购" in response.text


@pytest.mark.django_db
def test_guide_does_not_see_the_rebind_form(login, guide_a, member_a):
    response = login(guide_a).get(reverse("portal:member_detail", kwargs={"pk": member_a.pk}))

    assert "rebind_form" not in response.context
    assert "重新绑定导购" not in response.text


@pytest.mark.django_db
def test_guide_posting_a_rebind_is_forbidden(login, guide_a, member_a, other_guide_a):
    response = login(guide_a).post(rebind(member_a), {"guide": other_guide_a.pk, "reason": "想换"})

    assert response.status_code == 403
    member_a.refresh_from_db()
    assert member_a.guide == guide_a
    assert not OwnershipChange.objects.exists()


@pytest.mark.django_db
def test_hq_uses_the_portal_read_only(login, hq_admin, member_a, guide_a):
    response = login(hq_admin).post(rebind(member_a), {"guide": guide_a.pk, "reason": "总部调整"})

    assert response.status_code == 403
    assert not OwnershipChange.objects.exists()


@pytest.mark.django_db
def test_rebind_to_a_guide_of_another_store_is_rejected_with_a_message(
    login, manager_a, member_a, guide_a, guide_b
):
    response = login(manager_a).post(rebind(member_a), {"guide": guide_b.pk, "reason": "挖人"})

    assert response.status_code == 400
    assert "所选导购不是本店的在职导购" in response.text
    member_a.refresh_from_db()
    assert member_a.guide == guide_a
    assert not OwnershipChange.objects.exists()


@pytest.mark.django_db
def test_rebind_without_a_reason_is_rejected(login, manager_a, member_a, other_guide_a):
    response = login(manager_a).post(rebind(member_a), {"guide": other_guide_a.pk, "reason": " "})

    assert response.status_code == 400
    assert "请填写变更原因" in response.text
    assert not OwnershipChange.objects.exists()


@pytest.mark.django_db
def test_rule_violation_from_the_service_is_shown_not_a_500(
    login, manager_a, member_a, other_guide_a, monkeypatch
):
    from members import services
    from members.errors import RuleViolation

    def refuse(**kwargs):
        raise RuleViolation("rebind_not_allowed", "您没有重新绑定会员的权限。", status_code=403)

    monkeypatch.setattr(services, "member_rebind", refuse)

    response = login(manager_a).post(
        rebind(member_a), {"guide": other_guide_a.pk, "reason": "调整"}
    )

    assert response.status_code == 403
    assert "您没有重新绑定会员的权限。" in response.text


@pytest.mark.django_db
def test_rebind_of_another_stores_member_is_404(login, manager_a, canary_b, guide_a):
    response = login(manager_a).post(rebind(canary_b), {"guide": guide_a.pk, "reason": "抢会员"})

    assert response.status_code == 404
    assert not OwnershipChange.objects.exists()


@pytest.mark.django_db
def test_rebind_by_get_is_refused(login, manager_a, member_a):
    response = login(manager_a).get(rebind(member_a))

    assert response.status_code == 405
