"""The fixed vocabulary of the demo: places, people's names, the product range and HQ tags.

Small hand-written lists (Faker is a dev dependency only, and `make demo` runs without it).
"""

from members.models import Source, TagFamily

# (region, cities with their districts); a store is named after a city district ("上海徐汇店").
REGIONS = [
    (
        "华东片区",
        {
            "上海": ["徐汇", "静安", "浦东", "长宁", "闵行", "杨浦", "普陀", "宝山"],
            "杭州": ["西湖", "拱墅", "滨江", "萧山", "余杭"],
            "南京": ["鼓楼", "玄武", "秦淮", "建邺", "江宁"],
            "苏州": ["姑苏", "工业园区", "吴中", "相城"],
            "宁波": ["海曙", "鄞州", "江北"],
            "合肥": ["蜀山", "包河", "庐阳"],
        },
    ),
    (
        "华南片区",
        {
            "广州": ["天河", "越秀", "海珠", "番禺", "白云"],
            "深圳": ["福田", "南山", "罗湖", "宝安", "龙华"],
            "厦门": ["思明", "湖里", "集美"],
            "福州": ["鼓楼", "台江", "仓山"],
            "东莞": ["南城", "东城", "松山湖"],
            "南宁": ["青秀", "兴宁"],
        },
    ),
    (
        "华北片区",
        {
            "北京": ["朝阳", "海淀", "东城", "西城", "丰台", "通州"],
            "天津": ["和平", "南开", "河西", "滨海"],
            "济南": ["历下", "市中", "槐荫"],
            "青岛": ["市南", "崂山", "黄岛"],
            "石家庄": ["长安", "桥西"],
            "太原": ["小店", "迎泽"],
        },
    ),
    (
        "华中片区",
        {
            "武汉": ["江汉", "武昌", "洪山", "汉阳"],
            "长沙": ["芙蓉", "岳麓", "天心", "开福"],
            "郑州": ["金水", "二七", "中原"],
            "南昌": ["东湖", "红谷滩"],
        },
    ),
    (
        "西南片区",
        {
            "成都": ["锦江", "武侯", "青羊", "高新", "成华"],
            "重庆": ["渝中", "江北", "南岸", "沙坪坝"],
            "昆明": ["五华", "盘龙"],
            "贵阳": ["观山湖", "云岩"],
        },
    ),
    (
        "西北片区",
        {
            "西安": ["雁塔", "碑林", "未央", "曲江"],
            "兰州": ["城关", "七里河"],
            "银川": ["金凤", "兴庆"],
        },
    ),
    (
        "东北片区",
        {
            "沈阳": ["和平", "沈河", "浑南"],
            "大连": ["中山", "沙河口", "甘井子"],
            "哈尔滨": ["南岗", "道里"],
            "长春": ["朝阳", "南关"],
        },
    ),
]
# When a district already has a store, the next one is named after a shopping centre.
MALLS = ["万达", "万象城", "银泰", "吾悦", "龙湖天街", "大悦城", "印象城", "凯德"]
GROUP_ORDINALS = "一二三四五六七八九十"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
FEMALE_GIVEN = list(
    "婷静敏丽娜芳燕霞颖雪琳晶洁倩欣怡萱悦彤瑶佳雯璐蕾露菲妍琪玲梅"
    "慧婧莹岚月晴思雅诗梦语欢蓉珊薇可馨楠娟红"
)
MALE_GIVEN = list(
    "伟强磊军洋勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳博亮峰晨毅航睿哲然"
)

# Mainland mobile prefixes; the phone checks in members.models accept 1[3-9].
PHONE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "195", "198", "199",
]  # fmt: skip

# Recruitment sources and their shares (in-store sign-up leads; 老带新 gets a referrer).
SOURCE_WEIGHTS = [
    (Source.IN_STORE, 44),
    (Source.GROUND, 16),
    (Source.REFERRAL, 14),
    (Source.MINI_PROGRAM, 11),
    (Source.LIVESTREAM, 8),
    (Source.PARCEL_CARD, 7),
]

# (series, efficacy/category, price multiplier): 6 series of 5 products.
SERIES = [
    ("水润系列", "保湿", 1.0),
    ("焕白系列", "美白", 1.3),
    ("紧致系列", "抗老", 1.8),
    ("舒缓系列", "修护", 1.15),
    ("清透系列", "控油", 0.85),
    ("臻颜系列", "抗老", 2.4),
]
# (code, product name, base list price in yuan, relative popularity)
PRODUCT_TYPES = [
    ("CL", "洁面乳", 79, 30),
    ("TN", "爽肤水", 129, 22),
    ("SE", "精华液", 239, 18),
    ("EY", "眼霜", 219, 12),
    ("MK", "面膜（5片装）", 99, 18),
]
LIST_PRICE_MIN, LIST_PRICE_MAX = 59, 599

# HQ tags per family.
TAGS = [
    ("学生党", TagFamily.DEMOGRAPHIC),
    ("宝妈", TagFamily.DEMOGRAPHIC),
    ("职场白领", TagFamily.DEMOGRAPHIC),
    ("高客单", TagFamily.CONSUMPTION),
    ("复购达人", TagFamily.CONSUMPTION),
    ("折扣敏感", TagFamily.CONSUMPTION),
    ("五年老会员", TagFamily.ATTRIBUTE),
    ("积分大户", TagFamily.ATTRIBUTE),
    ("敏感肌", TagFamily.BEHAVIOUR),
    ("油皮", TagFamily.BEHAVIOUR),
    ("直播常客", TagFamily.BEHAVIOUR),
]
