"""Issue a POS API key for a store and print it once: only its hash is kept."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from members.models import Store
from pos.models import PosApiKey


class Command(BaseCommand):
    help = "为门店发放一个 POS 接口密钥，并只显示这一次。"

    def add_arguments(self, parser):
        parser.add_argument("store_code", help="门店编码")
        parser.add_argument("--name", default="", help="密钥名称，例如收银台编号")

    def handle(self, *args, store_code, name, **options):
        store = Store.objects.filter(code=store_code.strip()).first()
        if store is None:
            raise CommandError(_("门店编码 %(code)s 不存在。") % {"code": store_code})
        if not store.active:
            raise CommandError(_("门店 %(code)s 已停业，不能发放密钥。") % {"code": store.code})
        api_key, raw_key = PosApiKey.objects.issue(store=store, name=name.strip())
        self.stdout.write(
            _(
                "已为门店 %(store)s 发放 POS 接口密钥（前缀 %(prefix)s）。"
                "密钥只显示这一次，请妥善保存："
            )
            % {"store": store.code, "prefix": api_key.prefix}
        )
        self.stdout.write(raw_key)
