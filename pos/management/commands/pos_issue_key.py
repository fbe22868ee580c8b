"""Issue a POS API key for a store and print it once: only its hash is kept."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from members.models import Store, User
from pos.services import pos_api_key_issue


class Command(BaseCommand):
    help = "为门店发放一个 POS 接口密钥，并只显示这一次。"

    def add_arguments(self, parser):
        parser.add_argument("store_code", help="门店编码")
        parser.add_argument("--name", default="", help="密钥名称，例如收银台编号")
        parser.add_argument("--user", help="记为发放人的用户名（可选，写入审计记录）")

    def handle(self, *args, store_code, name, user=None, **options):
        actor = _actor(user)
        store = Store.objects.filter(code=store_code.strip()).first()
        if store is None:
            raise CommandError(_("门店编码 %(code)s 不存在。") % {"code": store_code})
        if not store.active:
            raise CommandError(_("门店 %(code)s 已停业，不能发放密钥。") % {"code": store.code})
        api_key, raw_key = pos_api_key_issue(store=store, name=name.strip(), actor=actor)
        self.stdout.write(
            _(
                "已为门店 %(store)s 发放 POS 接口密钥（前缀 %(prefix)s）。"
                "密钥只显示这一次，请妥善保存："
            )
            % {"store": store.code, "prefix": api_key.prefix}
        )
        self.stdout.write(raw_key)


def _actor(username: str | None) -> User | None:
    if not username:
        return None
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(_("用户 %(user)s 不存在。") % {"user": username}) from None
