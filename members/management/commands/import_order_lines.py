from members.imports.command import ImportCommand
from members.models import ImportKind


class Command(ImportCommand):
    help = (
        "导入订单明细 CSV（表头：order_no,store_code,sku,quantity,amount）；"
        "错误行写入 <文件>.errors.csv。"
    )
    kind = ImportKind.ORDER_LINES
