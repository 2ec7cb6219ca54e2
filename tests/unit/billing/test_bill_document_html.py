"""The 电费通知单 template: everything the issue asks for is on the page, user text is escaped, the
usage chart is inline SVG, and a draft says 待发行 where an issued bill has its due date."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from bill_document_samples import sample_document
from meter2cash.billing.document_render import render_html, usage_chart
from meter2cash.billing.documents import (
    DEFAULT_PAYMENT_INSTRUCTIONS,
    Letterhead,
    MonthUsage,
    chart_months,
    rows_of_segments,
)
from meter2cash.platform.settings import Settings
from meter2cash.reading.vee.register import RegisterSpec


def text_of(html: str) -> str:
    """The visible text, tags removed and whitespace collapsed (the test reads what a person reads)."""
    body = html.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


class TestWhatIsOnTheBill:
    def test_account_address_period_and_amounts(self) -> None:
        html = render_html(sample_document())
        text = text_of(html)
        assert "电费通知单" in text and "蒙西示例供电公司" in text
        assert "1500000001" in text and "张三" in text
        assert "呼和浩特市新城区示例路1号2单元301" in text
        assert "2026年6月" in text and "2026年5月15日 至 2026年6月15日" in text and "31 天" in text
        assert "居民生活" in text and "MX-RB-001" in text
        assert "本期应缴金额" in text and "¥145.80" in text
        assert "本期电费合计" in text and "145.80" in text

    def test_readings_with_their_quality_flags(self) -> None:
        text = text_of(render_html(sample_document()))
        assert "1234.56" in text and "1534.56" in text and "500.00" in text and "650.00" in text
        assert "实抄" in text and "估抄" in text
        assert "标“估抄”的示数为估算值" in text  # an estimate is explained to the customer

    def test_an_actual_reading_has_no_estimate_note(self) -> None:
        document = sample_document(quality="actual", readings=())
        assert "估算值" not in text_of(render_html(document))

    def test_every_line_with_its_rule(self) -> None:
        document = sample_document()
        html = render_html(document)
        for line in document.lines:
            assert f'data-code="{line.code}"' in html
            assert line.label in html and f"计费依据：{line.rule}" in html
            assert line.unit_price in html and str(line.amount) in html

    def test_a_twelve_month_usage_chart_as_inline_svg(self) -> None:
        html = render_html(sample_document())
        svg = html[html.index("<svg") : html.index("</svg>")]
        assert svg.count("<rect") == 12
        for month in ("7月", "8月", "12月", "1月", "6月"):
            assert f">{month}</text>" in svg
        assert ">387</text>" in svg and ">—</text>" in svg  # June's kWh; September has no determinant
        assert "<script" not in html.lower()

    def test_a_draft_says_the_due_date_is_pending_and_that_it_is_not_for_payment(self) -> None:
        text = text_of(render_html(sample_document()))
        assert "缴费截止日期 待发行" in text and "账单编号：待发行" in text
        assert "尚未发行" in text

    def test_an_issued_bill_shows_its_number_and_due_date(self) -> None:
        document = sample_document(
            state="issued", bill_no="MX202606000123", due_on=date(2026, 7, 10), issued_on=date(2026, 6, 20)
        )
        text = text_of(render_html(document))
        assert "缴费截止日期 2026年7月10日" in text and "账单编号：MX202606000123" in text
        assert "待发行" not in text and "尚未发行" not in text

    def test_payment_instructions(self) -> None:
        text = text_of(render_html(sample_document()))
        assert "缴费说明" in text
        for paragraph in DEFAULT_PAYMENT_INSTRUCTIONS:
            assert paragraph in text

    def test_power_factor_when_assessed(self) -> None:
        document = sample_document(power_factor=Decimal("0.80"), pf_percent=Decimal("5.0"))
        text = text_of(render_html(document))
        assert "功率因数：0.80" in text and "力率调整：+5.0%" in text


class TestUserTextIsEscaped:
    def test_a_customer_named_script_is_shown_not_run(self) -> None:
        document = sample_document(
            customer_name="<script>alert(1)</script>", address='"><img src=x onerror=alert(1)>'
        )
        html = render_html(document)
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html

    def test_the_bureau_name_cannot_break_out_of_the_css(self) -> None:
        html = render_html(sample_document(bureau_name='公司"; } body { display: none } </style><b>x'))
        style = html[html.index("<style>") : html.index("</style>")]
        assert "</style><b>" not in html  # the style element is not closed early
        # the quote is escaped, so the rest stays inside the one CSS string of the footer
        assert (
            'content: "公司\\22 ; } body { display: none } \\3c /style\\3e \\3c b\\3e x · 电费通知单";'
            in style
        )


class TestTheFontDeclaration:
    def test_with_a_font_file_the_css_declares_it_by_its_file_url(self, tmp_path: Path) -> None:
        font = tmp_path / "My Fonts" / "NotoSansCJK-Regular.ttc"
        html = render_html(sample_document(), font=font)
        url = "file://" + str(tmp_path).replace(" ", "%20") + "/My%20Fonts/NotoSansCJK-Regular.ttc"
        assert f'@font-face {{ font-family: "M2C CJK"; src: url("{url}"); }}' in html
        assert 'font-family: "M2C CJK", "Noto Sans CJK SC"' in html

    def test_without_one_the_html_uses_the_viewers_chinese_fonts(self) -> None:
        html = render_html(sample_document())
        assert "@font-face" not in html and "file://" not in html
        assert '"Noto Sans CJK SC", "Source Han Sans SC"' in html

    def test_one_template_for_screen_and_paper(self) -> None:
        html = render_html(sample_document())
        assert "size: A4" in html and "@media screen" in html


class TestTheChart:
    def test_twelve_months_ending_with_the_bill_period(self) -> None:
        assert chart_months("2026-06") == [
            "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
            "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
        ]  # fmt: skip
        assert chart_months("2026-01", 3) == ["2025-11", "2025-12", "2026-01"]

    def test_bars_scale_to_the_highest_month_and_the_last_is_current(self) -> None:
        usage = [
            MonthUsage("2026-04", Decimal(100)),
            MonthUsage("2026-05", None),
            MonthUsage("2026-06", Decimal(200)),
        ]
        chart = usage_chart(usage, width=300, height=120)
        low, missing, high = chart.bars
        assert high.height == chart.baseline - 18 and low.height == high.height / 2
        assert missing.height == 0 and missing.value == "—"
        assert high.current and not low.current
        assert [b.label for b in chart.bars] == ["4月", "5月", "6月"]
        assert low.x < missing.x < high.x

    def test_a_new_account_without_history_draws_empty_bars(self) -> None:
        chart = usage_chart([MonthUsage(p, None) for p in chart_months("2026-06")])
        assert all(b.height == 0 for b in chart.bars)

    def test_half_kwh_round_up_in_the_labels(self) -> None:
        chart = usage_chart([MonthUsage("2026-06", Decimal("120.5"))])
        assert chart.bars[0].value == "121"


class TestReadingRows:
    def test_each_register_of_each_segment_with_its_energy_across_a_rollover(self) -> None:
        segments = [
            {
                "meter_no": "M1",
                "multiplier": "30",
                "opening": {
                    "total": "99990.00",
                    "sharp": None,
                    "peak": "100.00",
                    "flat": None,
                    "valley": None,
                },
                "closing": {"total": "10.00", "sharp": None, "peak": "103.50", "flat": None, "valley": None},
                "opening_quality": "actual",
                "closing_quality": "edited",
            }
        ]
        rows = rows_of_segments(segments, {"M1": RegisterSpec(integer_digits=5, decimal_digits=2)})
        assert [(r.register_zh, r.kwh) for r in rows] == [
            ("总", Decimal("600.00")),
            ("峰", Decimal("105.00")),
        ]
        assert rows[0].current_quality_zh == "修正" and rows[0].previous_quality_zh == "实抄"

    def test_a_meter_the_archive_no_longer_knows_still_shows_its_readings(self) -> None:
        segments = [
            {"meter_no": "GONE", "multiplier": "1", "opening": {"total": "1"}, "closing": {"total": "2"}}
        ]
        (row,) = rows_of_segments(segments, {})
        assert row.previous == Decimal(1) and row.current == Decimal(2) and row.kwh is None


class TestLetterhead:
    def test_the_bureau_name_and_payment_instructions_are_settings(self) -> None:
        settings = Settings(
            bureau_name="包头供电局", payment_instructions="请按时缴费。\\n营业厅：钢铁大街1号"
        )
        letterhead = Letterhead.from_settings(settings)
        assert letterhead.bureau_name == "包头供电局"
        assert letterhead.payment_instructions == ("请按时缴费。", "营业厅：钢铁大街1号")

    def test_default_instructions(self) -> None:
        assert Letterhead.from_settings(Settings()).payment_instructions == DEFAULT_PAYMENT_INSTRUCTIONS

    def test_the_file_name_is_the_bill_number_or_account_and_period(self) -> None:
        assert sample_document().file_stem == "1500000001_2026-06"
        assert sample_document(bill_no="MX/2026/7").file_stem == "MX_2026_7"
