from django.core.management.base import BaseCommand, CommandError

from members.demo import DEFAULT_MEMBERS, DEFAULT_SEED, seed_demo


class Command(BaseCommand):
    help = "生成演示数据：片区、店群、门店、员工、会员、商品、订单与标签（已加载时跳过）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=DEFAULT_MEMBERS, help="会员数，门店与订单按比例放大。"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子。")

    def handle(self, *args, members, seed, **options):
        if members < 1:
            raise CommandError("会员数必须为正整数。")
        seed_demo(members=members, seed=seed, report=self._say)

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
