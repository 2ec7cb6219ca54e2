"""Synthetic names, addresses and phone numbers in western Inner Mongolia (蒙西). Pure.

Every name is made up from common characters; any likeness to a real person or firm is chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "卢姚沈钟姜崔谭陆范汪廖石金贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔"
    "向常汤康易乔"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然欣怡子涵梓晨雪梅海燕志宏"
    "丹亮斌凤云峰瑞琳晓东"
)
MONGOLIAN = (
    "巴特尔",
    "其木格",
    "乌云",
    "斯琴",
    "额尔敦",
    "那仁",
    "图雅",
    "苏和",
    "宝音",
    "朝鲁",
    "阿拉坦",
    "敖其尔",
    "萨仁",
    "乌兰",
    "哈斯",
    "孟和",
    "格日勒",
    "布和",
    "吉日嘎拉",
    "娜仁花",
)


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    district: str
    streets: tuple[str, ...]
    rural: bool


PLACES: tuple[Place, ...] = (
    Place("呼和浩特市", "新城区", ("新华大街", "兴安北路", "成吉思汗大街", "海拉尔东路"), False),
    Place("呼和浩特市", "赛罕区", ("大学西街", "昭乌达路", "鄂尔多斯大街", "丰州南路"), False),
    Place("包头市", "昆都仑区", ("钢铁大街", "阿尔丁大街", "友谊大街", "林荫路"), False),
    Place("包头市", "青山区", ("幸福路", "民主路", "青年路", "文化路"), False),
    Place("鄂尔多斯市", "东胜区", ("伊金霍洛西街", "天骄北路", "鄂托克西街", "宝日陶亥街"), False),
    Place("乌海市", "海勃湾区", ("黄河东街", "人民北路", "新华西街", "滨河大道"), False),
    Place("巴彦淖尔市", "五原县", ("隆兴昌镇", "胜丰镇", "复兴镇", "天吉泰镇"), True),
    Place("巴彦淖尔市", "杭锦后旗", ("陕坝镇", "头道桥镇", "二道桥镇", "蛮会镇"), True),
    Place("乌兰察布市", "察哈尔右翼前旗", ("土贵乌拉镇", "平地泉镇", "巴音塔拉镇", "黄旗海镇"), True),
)
VILLAGES = ("红光", "新民", "永丰", "建设", "团结", "胜利", "联合", "光明", "富强", "和平", "同心", "丰收")
SHOP_WORDS = ("鑫源", "草原", "福满", "金鹿", "蒙祥", "兴旺", "宏达", "恒泰", "万家", "阳光", "鹿城", "塞上")
SHOP_KINDS = (
    "超市",
    "羊肉馆",
    "五金店",
    "药店",
    "宾馆",
    "洗浴中心",
    "汽修厂",
    "奶茶馆",
    "网吧",
    "面粉加工坊",
)
FIRM_WORDS = ("宏达", "恒基", "北方", "蒙泰", "鄂能", "包钢", "汇能", "伊泰", "君正", "黄河", "金泰", "天骄")
INDUSTRIES = ("铝业", "硅铁", "煤化工", "稀土新材料", "水泥", "电石", "乳业", "焦化", "单晶硅", "钢铁")
PHONE_PREFIXES = ("130", "131", "135", "139", "150", "151", "155", "158", "177", "181", "186", "189")


def person_name(rng: np.random.Generator) -> str:
    if rng.random() < 0.12:
        return str(MONGOLIAN[rng.integers(len(MONGOLIAN))])
    given_len = 1 if rng.random() < 0.35 else 2
    given = "".join(GIVEN[int(i)] for i in rng.integers(len(GIVEN), size=given_len))
    return SURNAMES[int(rng.integers(len(SURNAMES)))] + given


def shop_name(rng: np.random.Generator, place: Place) -> str:
    word = SHOP_WORDS[int(rng.integers(len(SHOP_WORDS)))]
    kind = SHOP_KINDS[int(rng.integers(len(SHOP_KINDS)))]
    return f"{place.district}{word}{kind}"


def firm_name(rng: np.random.Generator, place: Place) -> str:
    word = FIRM_WORDS[int(rng.integers(len(FIRM_WORDS)))]
    industry = INDUSTRIES[int(rng.integers(len(INDUSTRIES)))]
    return f"{place.city.removesuffix('市')}{word}{industry}有限公司"


def well_name(rng: np.random.Generator, place: Place, street: str) -> str:
    village = VILLAGES[int(rng.integers(len(VILLAGES)))]
    return f"{street}{village}村{int(rng.integers(1, 40))}号机井"


def address(rng: np.random.Generator, place: Place, street: str) -> str:
    if place.rural:
        village = VILLAGES[int(rng.integers(len(VILLAGES)))]
        return f"{place.city}{place.district}{street}{village}村{int(rng.integers(1, 12))}组"
    building, unit, room = rng.integers(1, 30), rng.integers(1, 7), rng.integers(101, 1802)
    return f"{place.city}{place.district}{street}{int(building)}号楼{int(unit)}单元{int(room)}"


def business_address(rng: np.random.Generator, place: Place, street: str) -> str:
    if place.rural:
        return address(rng, place, street)
    return f"{place.city}{place.district}{street}{int(rng.integers(1, 300))}号"


def phone(rng: np.random.Generator) -> str:
    prefix = PHONE_PREFIXES[int(rng.integers(len(PHONE_PREFIXES)))]
    return f"{prefix}{int(rng.integers(0, 100_000_000)):08d}"
