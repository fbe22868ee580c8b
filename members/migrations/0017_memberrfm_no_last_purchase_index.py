"""MemberRfm loses its index on last_purchase_on: every regroup built it alone at its finish,
for HQ previews that now read MemberRfm whole (0016). See MemberRfm.Meta for the figures."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("members", "0016_member_rfm_home_store")]

    operations = [
        migrations.RemoveIndex(model_name="memberrfm", name="memberrfm_last_purchase"),
    ]
