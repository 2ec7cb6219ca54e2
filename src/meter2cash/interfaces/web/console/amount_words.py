"""Money as printed on a receipt (收据): in figures (``¥1,234.56``) and in Chinese capital numerals
(大写金额, ``壹仟贰佰叁拾肆元伍角陆分``) as the payment rules (《支付结算办法》) write them. Pure.

- The digits are 零壹贰叁肆伍陆柒捌玖 and the units 拾佰仟, 万, 亿, 元角分; ten is 壹拾.
- Zeros inside the yuan part are written as one 零 (``1005`` → 壹仟零伍元); zeros at the end of a
  section are not written (``1000`` → 壹仟元, ``100000`` → 壹拾万元).
- An amount that ends at 元 or 角 ends with 整; one that ends at 分 does not. A zero 角 between
  元 and 分 is 零 (``10.06`` → 壹拾元零陆分). Less than one yuan has no 元 (``0.56`` → 伍角陆分).
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SECTION_UNITS = ("", "万", "亿", "万亿")  # each a group of four digits, lowest first
PLACE_UNITS = ("", "拾", "佰", "仟")
LIMIT = Decimal(10) ** 16  # 万亿 is the largest unit written


def amount_in_words(amount: Decimal) -> str:
    """The amount in 大写 (``Decimal("1234.56")`` → ``壹仟贰佰叁拾肆元伍角陆分``). Refuses an
    amount not in whole fen or of 10¹⁶ yuan or more; a negative amount starts with 负."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"an exact amount is needed, got {amount!r}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"the amount must be in whole fen: {amount}")
    if abs(amount) >= LIMIT:
        raise ValueError(f"the amount is too large to write in words: {amount}")
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if yuan == 0 and rest == 0:
        return "零元整"
    words = _yuan(yuan) + "元" if yuan else ""
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen and yuan:
        words += "零"
    words += DIGITS[fen] + "分" if fen else "整"
    return sign + words


def _yuan(number: int) -> str:
    """The yuan part, section by section from the highest (亿, 万, then the last four digits)."""
    sections = []
    while number:
        number, section = divmod(number, 10_000)
        sections.append(section)
    words = ""
    zero_pending = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            zero_pending = bool(words)
            continue
        if words and (zero_pending or section < 1000):
            words += "零"
        words += _section(section) + SECTION_UNITS[index]
        zero_pending = False
    return words


def _section(number: int) -> str:
    """Four digits or fewer (1–9999): 仟佰拾 and the units, one 零 for the zeros between digits."""
    digits = [number // 1000, number // 100 % 10, number // 10 % 10, number % 10]
    words = ""
    zero_pending = False
    for place, digit in enumerate(digits):
        if digit == 0:
            zero_pending = bool(words)
            continue
        if zero_pending:
            words += "零"
        words += DIGITS[digit] + PLACE_UNITS[3 - place]
        zero_pending = False
    return words


def amount_in_figures(amount: Decimal) -> str:
    """The amount in figures as printed: ``¥1,234.56`` (``-¥5.00`` below zero)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"an exact amount is needed, got {amount!r}")
    shown = f"¥{abs(amount.quantize(Decimal('0.01'))):,.2f}"
    return "-" + shown if amount < 0 else shown
