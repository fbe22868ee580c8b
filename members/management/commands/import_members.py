from members.imports.command import ImportCommand
from members.models import ImportKind


class Command(ImportCommand):
    help = (
        "导入会员 CSV（表头：phone,name,gender,birthday,joined_at,store_code,guide_code,source）；"
        "错误行写入 <文件>.errors.csv。"
    )
    kind = ImportKind.MEMBERS
