"""A hand-written report model with known figures, and CRM strings that attack the templates."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from reports.model import (
    DETAIL_COLUMNS,
    BestAction,
    ChannelRow,
    ConversionRow,
    CostRow,
    DealRow,
    DetailTable,
    Figure,
    Headline,
    LostReason,
    PipelineRow,
    QualityNote,
    ReportModel,
    RepRow,
    SourceNote,
    TrendPoint,
    VelocityRow,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "\"><img onerror=alert(1)>"
TEMPLATE = "{{ 7*7 }}"
HOSTILE = (SCRIPT, IMG, TEMPLATE)
FORMULA = "=HYPERLINK(\"http://attacker.example/\",\"click\")"

PERIOD = date(2026, 4, 1)
AS_OF = date(2026, 5, 7)
REP_NAMES = ("佐藤 健", "鈴木 花子", "高橋 誠", "田中 美咲", "伊藤 翔", "渡辺 愛",
             "山本 大輔", "中村 由美", "小林 拓也", "加藤 真理", "吉田 亮", "山田 彩")


def golden_model(reps: int = 3, detail_rows: int = 30, months: int = 12) -> ReportModel:
    """Return the golden report: 18 SGLs in April 2026, 41.2% SGL→SQL (7/17), and so on."""
    rep_rows = [RepRow(rep=SCRIPT, team=TEMPLATE, sgl_count=8, target=Decimal(10))]
    rep_rows += [RepRow(rep=REP_NAMES[i % len(REP_NAMES)], team="東日本営業部",
                        sgl_count=5 + i % 4, target=None) for i in range(1, reps)]
    trend = tuple(TrendPoint(date(2025 + (4 + i) // 12, (4 + i) % 12 + 1, 1),
                             sgl_count=10 + i, mql_count=30 - i) for i in range(months))
    detail = tuple(
        (date(2026, 4, 1 + i % 28), REP_NAMES[i % len(REP_NAMES)] if i else IMG,
         FORMULA if i == 1 else "東日本営業部", ("referral", "network", "abm")[i % 3],
         date(2026, 4, 20) if i % 2 else None, None, "salesforce",
         f"00Q5g00000{i:08d}" if i else TEMPLATE)
        for i in range(detail_rows))
    return ReportModel(
        company_name="サンプル株式会社",
        period=PERIOD,
        as_of=AS_OF,
        currency="JPY",
        fiscal_year=2026,
        sql_window_days=90,
        win_window_days=365,
        headlines=(
            Headline("sgl_count", "count", Figure.of(18), Figure.of(15), Figure.of(12),
                     target=Decimal(20)),
            Headline("sgl_sql_rate", "rate", Figure.ratio(7, 17, maturing=True),
                     Figure.ratio(6, 15), Figure.ratio(4, 12)),
            Headline("sgl_win_rate", "rate", Figure.ratio(2, 17, maturing=True),
                     Figure.ratio(1, 15), None),
            Headline("sgl_won_amount", "money", Figure.of(Decimal(12_345_678)),
                     Figure.of(Decimal(9_000_000)), None),
            Headline("cost_per_sgl", "money", Figure.of(Decimal(48_500)),
                     Figure.of(Decimal(51_000)), None),
        ),
        conversion=(
            ConversionRow("sales", 18, Figure.ratio(7, 17, maturing=True),
                          Figure.ratio(2, 17, maturing=True)),
            ConversionRow("marketing", 52, Figure.ratio(9, 52, maturing=True),
                          Figure.ratio(3, 52, maturing=True)),
            ConversionRow("partner", 4, Figure.ratio(1, 4, maturing=True),
                          Figure.ratio(0, 4, maturing=True)),
            ConversionRow("unknown", 0, Figure.ratio(0, 0), Figure.ratio(0, 0)),
        ),
        channels=(
            ChannelRow("referral", 7, 5, Figure.ratio(7, 18)),
            ChannelRow("network", 5, 4, Figure.ratio(5, 18)),
            ChannelRow("dormant_revival", 3, 3, Figure.ratio(3, 18)),
            ChannelRow("abm", 2, 2, Figure.ratio(2, 18)),
            ChannelRow("social", 1, 1, Figure.ratio(1, 18)),
            ChannelRow("other_sales", 0, 0, Figure.ratio(0, 18)),
        ),
        reps=tuple(rep_rows),
        costs=(
            CostRow(None, None, Decimal("145.5"), Decimal(873_000), 18,
                    Figure.of(Decimal(48_500))),
            CostRow(SCRIPT, TEMPLATE, Decimal("60"), Decimal(360_000), 8,
                    Figure.of(Decimal(45_000))),
        ),
        deals=(
            DealRow("sgl", 4, Decimal(3_086_420), Decimal(8_400_000), 3),
            DealRow("other", 9, Decimal(1_950_000), Decimal(4_100_000), 8),
        ),
        pipeline=(
            PipelineRow("sales", "referral", Decimal(15_000_000), Decimal(8_000_000),
                        Decimal(15_000_000), Decimal(8_000_000)),
            PipelineRow("sales", "network", Decimal(6_000_000), Decimal(4_345_678),
                        Decimal(6_000_000), Decimal(4_345_678)),
            PipelineRow("marketing", None, Decimal(22_000_000), Decimal(17_550_000),
                        Decimal(22_000_000), Decimal(17_550_000)),
        ),
        velocity=(
            VelocityRow("sales", Decimal("12.5"), 7, Decimal("41"), 2),
            VelocityRow("marketing", Decimal("23"), 9, Decimal("58"), 3),
        ),
        best_actions=(
            BestAction("won", "基幹システム刷新 " + TEMPLATE, SCRIPT, "referral",
                       Decimal(8_000_000), "導入キックオフ " + IMG),
            BestAction("created", "営業支援ツール導入", "鈴木 花子", "network",
                       Decimal(6_000_000), "5月中旬に提案"),
        ),
        lost_reasons=(
            LostReason("価格 " + IMG, 3, Decimal(4_500_000)),
            LostReason("", 1, Decimal(800_000)),
        ),
        quality_notes=(QualityNote("negative_interval", 2, "sgl_sql_rate"),),
        sources=(SourceNote("salesforce", "ok", date(2026, 5, 7)),
                 SourceNote("hubspot", "no_origin_data", date(2026, 5, 7))),
        trend=trend,
        detail=DetailTable(DETAIL_COLUMNS, detail),
    )


def small_model() -> ReportModel:
    """The golden report without charts and with two detail rows: quick to render."""
    return dataclasses.replace(golden_model(reps=1, detail_rows=2, months=0),
                               channels=(), pipeline=())
