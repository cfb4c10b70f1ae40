"""GB/T 4754-2017 国民经济行业分类: the names of its 门类 (sections A–T) and 大类 (divisions 01–97).

A record's `industry` is a code such as `C3982` (门类 letter + up to four digits) or a bare
门类 letter. `industry_group` gives the 大类 it belongs to (`C39`), `industry_label` the words
people read ("C39 计算机、通信和其他电子设备制造业"). Codes outside the standard read as written."""

from __future__ import annotations

import re

# 门类: letter -> (zh, en)
SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water conservancy, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Residential, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration, social security and social organisations"),
    "T": ("国际组织", "International organisations"),
}

# 大类: two digits -> zh name (the 门类 follows from the number)
DIVISIONS: dict[str, str] = {
    "01": "农业", "02": "林业", "03": "畜牧业", "04": "渔业", "05": "农、林、牧、渔专业及辅助性活动",
    "06": "煤炭开采和洗选业", "07": "石油和天然气开采业", "08": "黑色金属矿采选业", "09": "有色金属矿采选业",
    "10": "非金属矿采选业", "11": "开采专业及辅助性活动", "12": "其他采矿业",
    "13": "农副食品加工业", "14": "食品制造业", "15": "酒、饮料和精制茶制造业", "16": "烟草制品业",
    "17": "纺织业", "18": "纺织服装、服饰业", "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业", "21": "家具制造业", "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业", "24": "文教、工美、体育和娱乐用品制造业", "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业", "27": "医药制造业", "28": "化学纤维制造业", "29": "橡胶和塑料制品业",
    "30": "非金属矿物制品业", "31": "黑色金属冶炼和压延加工业", "32": "有色金属冶炼和压延加工业",
    "33": "金属制品业", "34": "通用设备制造业", "35": "专用设备制造业", "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业", "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业", "40": "仪器仪表制造业", "41": "其他制造业",
    "42": "废弃资源综合利用业", "43": "金属制品、机械和设备修理业",
    "44": "电力、热力生产和供应业", "45": "燃气生产和供应业", "46": "水的生产和供应业",
    "47": "房屋建筑业", "48": "土木工程建筑业", "49": "建筑安装业", "50": "建筑装饰、装修和其他建筑业",
    "51": "批发业", "52": "零售业",
    "53": "铁路运输业", "54": "道路运输业", "55": "水上运输业", "56": "航空运输业", "57": "管道运输业",
    "58": "多式联运和运输代理业", "59": "装卸搬运和仓储业", "60": "邮政业",
    "61": "住宿业", "62": "餐饮业",
    "63": "电信、广播电视和卫星传输服务", "64": "互联网和相关服务", "65": "软件和信息技术服务业",
    "66": "货币金融服务", "67": "资本市场服务", "68": "保险业", "69": "其他金融业",
    "70": "房地产业",
    "71": "租赁业", "72": "商务服务业",
    "73": "研究和试验发展", "74": "专业技术服务业", "75": "科技推广和应用服务业",
    "76": "水利管理业", "77": "生态保护和环境治理业", "78": "公共设施管理业", "79": "土地管理业",
    "80": "居民服务业", "81": "机动车、电子产品和日用产品修理业", "82": "其他服务业",
    "83": "教育",
    "84": "卫生", "85": "社会工作",
    "86": "新闻和出版业", "87": "广播、电视、电影和录音制作业", "88": "文化艺术业", "89": "体育", "90": "娱乐业",
    "91": "中国共产党机关", "92": "国家机构", "93": "人民政协、民主党派", "94": "社会保障",
    "95": "群众团体、社会团体和其他成员组织", "96": "基层群众自治组织及其他组织",
    "97": "国际组织",
}

# The first division of each section (the sections are consecutive ranges of divisions).
_FIRST = {"A": 1, "B": 6, "C": 13, "D": 44, "E": 47, "F": 51, "G": 53, "H": 61, "I": 63, "J": 66, "K": 70,
          "L": 71, "M": 73, "N": 76, "O": 80, "P": 83, "Q": 84, "R": 86, "S": 91, "T": 97}
_CODE = re.compile(r"^([A-T])([0-9]{2})?[0-9]{0,2}$")


def section_of(division: str) -> str | None:
    """The 门类 letter a two-digit 大类 belongs to."""
    if not division.isdigit():
        return None
    number = int(division)
    found = None
    for letter, first in _FIRST.items():
        if number >= first:
            found = letter
    return found


def industry_group(code: str) -> str:
    """The 大类 of a code (`C3982` → `C39`), or its 门类 (`C` → `C`); anything else as written."""
    match = _CODE.match((code or "").strip().upper())
    if not match:
        return code or ""
    letter, division = match.groups()
    if division and division in DIVISIONS and section_of(division) == letter:
        return letter + division
    return letter


def industry_name(code: str, language: str = "zh") -> str:
    """The name of a code's 大类 (or 门类), "" when the code is not in the standard."""
    group = industry_group(code)
    if len(group) == 3 and group[1:] in DIVISIONS and section_of(group[1:]) == group[0]:
        if language == "zh":
            return DIVISIONS[group[1:]]
        return SECTIONS[group[0]][1]
    if group in SECTIONS:
        return SECTIONS[group][0 if language == "zh" else 1]
    return ""


def industry_label(code: str, language: str = "zh") -> str:
    """"C39 计算机、通信和其他电子设备制造业" for C3982 (the 大类 and its name); the code alone when unknown."""
    group = industry_group(code)
    name = industry_name(code, language)
    return f"{group} {name}" if name else (code or "")


def section_label(code: str, language: str = "zh") -> str:
    """"C 制造业" for C3982."""
    group = industry_group(code)
    if industry_name(group, language):
        return f"{group[0]} {SECTIONS[group[0]][0 if language == 'zh' else 1]}"
    return code or ""
