from members.imports.command import ImportCommand
from members.models import ImportKind


class Command(ImportCommand):
    help = (
        "导入订单 CSV（表头：order_no,phone,store_code,guide_code,channel,paid_at,amount）；"
        "错误行写入 <文件>.errors.csv。"
    )
    kind = ImportKind.ORDERS
