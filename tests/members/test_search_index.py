"""The name search's trigram index (members 0009): on Postgres the SQL icontains generates,
UPPER(name::text) LIKE UPPER('%…%'), is answered by member_name_trgm; other databases have no
such index and search the same."""

import pytest
from django.db import connection

from members.models import Member
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_a_name_search_of_three_characters_uses_the_trigram_index():
    MemberFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
    plan = Member.objects.search("王晓燕").order_by().explain()
    assert "member_name_trgm" in plan, plan


@pytest.mark.postgres
def test_the_index_is_on_the_upper_cased_name_with_trigram_ops():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'member_name_trgm'")
        (definition,) = cursor.fetchone()
    assert "USING gin (upper((name)::text) gin_trgm_ops)" in definition


def test_search_by_name_is_case_insensitive_and_finds_part_of_a_name(store_a):
    wanted = MemberFactory(home_store=store_a, name="Anna 王晓燕")
    MemberFactory(home_store=store_a, name="李娜")
    assert list(Member.objects.search("anna")) == [wanted]
    assert list(Member.objects.search("晓燕")) == [wanted]
    assert list(Member.objects.search("王晓燕")) == [wanted]
