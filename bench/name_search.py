"""Benchmark the member name search (MemberQuerySet.search, `name__icontains`) on Postgres.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/siyu_bench .venv/bin/python bench/name_search.py

Read-only: it only runs `EXPLAIN (ANALYZE)` on the database DATABASE_URL names (it never
migrates or writes, so it may point at the seeded `siyu_bench`). For each term, the SQL the ORM
generates for HQ's member list page (31 rows, newest first; HQ's list never counts) and for a
counted list (what a region or store manager's page adds), with the time and whether the trigram
index `member_name_trgm` (members 0009) was used. Terms: a three-character name taken from the
data, a two-character name, one character, and a name nobody has. The trigram index serves
terms of three characters or more; a shorter LIKE '%xy%' has no trigram to look up.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INDEX = "member_name_trgm"


def setup() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a Postgres database with members (e.g. siyu_bench).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def explain(queryset, *, count: bool = False) -> tuple[float, bool]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    if count:  # what the Paginator's count() sends, near enough
        sql = f"SELECT COUNT(*) FROM ({sql}) AS counted"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return plan[0]["Execution Time"], INDEX in json.dumps(plan)


def terms() -> list[tuple[str, str]]:
    from django.db.models.functions import Length

    from members.models import Member

    names = Member.objects.annotate(n=Length("name")).order_by("pk")
    three = names.filter(n=3).values_list("name", flat=True).first() or "王晓燕"
    two = names.filter(n=2).values_list("name", flat=True).first() or "晓燕"
    return [("3 chars", three), ("2 chars", two), ("1 char", two[-1]), ("no match", "不存在者")]


def main() -> None:
    setup()
    from django.db import connection

    from members.models import Member

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [INDEX])
        has_index = cursor.fetchone() is not None
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'members_member'")
        members = cursor.fetchone()[0]
    print(f"members ~{members:,}; index {INDEX}: {'present' if has_index else 'absent'}")
    for label, term in terms():
        found = Member.objects.search(term)
        page = found.order_by("-id").values("id", "name")[:31]
        counted = found.order_by().values("id")
        for what, queryset in (("page", page), ("count", counted)):
            ms, used = explain(queryset, count=what == "count")
            shown = "uses index" if used else "no index"
            print(f"{label:9} {term:6} {what:5} {ms:9.2f} ms  {shown}")


if __name__ == "__main__":
    main()
