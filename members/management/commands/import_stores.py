from members.imports.command import ImportCommand
from members.models import ImportKind


class Command(ImportCommand):
    help = (
        "导入门店 CSV（表头：code,name,operating_model,region,store_group）；"
        "错误行写入 <文件>.errors.csv。"
    )
    kind = ImportKind.STORES
