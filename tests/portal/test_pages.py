import pytest
from django.template.loader import render_to_string
from django.urls import reverse

LOGIN = reverse("portal:login")


@pytest.mark.django_db
def test_home_sends_anonymous_users_to_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "target"),
    [("manager_a", "/members/"), ("guide_a", "/members/"), ("hq_admin", "/admin/")],
)
def test_home_sends_each_role_to_its_place(login, request, user, target):
    response = login(request.getfixturevalue(user)).get("/")

    assert response.status_code == 302
    assert response.url == target


@pytest.mark.django_db
def test_login_page_is_in_chinese_with_a_language_switcher(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.text
    assert "用户名" in response.text and "密码" in response.text
    assert 'action="/i18n/setlang/"' in response.text


@pytest.mark.django_db
def test_login_with_wrong_password_shows_a_clear_error(client, manager_a):
    response = client.post(LOGIN, {"username": manager_a.username, "password": "wrong"})

    assert response.status_code == 200
    assert "用户名或密码不正确" in response.text


@pytest.mark.django_db
def test_manager_logs_in_and_lands_on_the_member_list(client, manager_a):
    response = client.post(
        LOGIN, {"username": manager_a.username, "password": "pass-1234"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/members/"
    assert manager_a.store.name in response.text
    assert "店长" in response.text


@pytest.mark.django_db
def test_logout_is_a_post(login, manager_a):
    client = login(manager_a)

    response = client.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert client.get("/members/").status_code == 302


@pytest.mark.django_db
def test_unknown_url_renders_the_portal_404_page(login, manager_a):
    response = login(manager_a).get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在或您无权访问" in response.text
    assert "css/portal.css" in response.text


@pytest.mark.django_db
def test_language_can_be_switched_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN}, follow=True)

    assert '<html lang="en">' in response.text


def test_500_page_renders_without_any_context():
    html = render_to_string("500.html")

    assert "服务暂时不可用" in html
