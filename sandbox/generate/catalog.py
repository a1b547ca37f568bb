"""Declared tables behind the generated data: channels, creators, statuses, stages, reasons.

Each table row is one fact about how Japanese B2B sales organisations record their work,
with the weight that sets how often it occurs. The generator only draws from these tables,
so changing a mix means editing a row here, not code.

Creator kinds name who typed or synced the record:

| kind           | user                                   |
|----------------|----------------------------------------|
| `sales`        | a field sales rep, by hand             |
| `inside_sales` | an inside sales rep, by hand           |
| `marketing`    | a marketing user, by hand or by import |
| `marketo`      | the Marketo sync user (forms, scans)   |
| `sansan`       | the Sansan business-card integration   |
| `eight`        | the Eight business-card integration    |
| `admin`        | the system administrator (list import) |
"""

from __future__ import annotations

from typing import NamedTuple


class LeadChannel(NamedTuple):
    """One way a Salesforce lead comes in: its LeadSource value and who creates it."""

    lead_source: str  # the picklist value as stored; "" is a blank source
    weight: float
    creator: str  # creator kind, see the module docstring
    family: str  # channel family, for distribution checks
    convert_rate: float  # share of leads of this channel that get converted


LEAD_CHANNELS: tuple[LeadChannel, ...] = (
    LeadChannel("紹介", 4.0, "sales", "referral", 0.40),
    LeadChannel("リファーラル", 2.0, "sales", "referral", 0.38),
    LeadChannel("Employee Referral", 1.2, "sales", "referral", 0.35),
    LeadChannel("Partner Referral", 1.5, "sales", "partner", 0.30),
    LeadChannel("名刺交換", 5.0, "sales", "business_card", 0.12),
    LeadChannel("Sansan", 7.0, "sansan", "business_card", 0.08),
    LeadChannel("Eight", 2.0, "eight", "business_card", 0.08),
    LeadChannel("展示会", 5.0, "marketo", "events", 0.06),
    LeadChannel("展示会", 1.5, "sales", "events", 0.12),
    LeadChannel("展示会", 1.0, "marketing", "events", 0.06),
    LeadChannel("セミナー", 3.0, "marketo", "events", 0.08),
    LeadChannel("セミナー", 1.0, "sales", "events", 0.15),
    LeadChannel("セミナー", 0.5, "marketing", "events", 0.08),
    LeadChannel("Webinar", 2.5, "marketo", "events", 0.06),
    LeadChannel("Webinar", 0.5, "sales", "events", 0.12),
    LeadChannel("休眠掘り起こし", 2.5, "sales", "dormant", 0.25),
    LeadChannel("休眠掘り起こし", 1.0, "inside_sales", "dormant", 0.20),
    LeadChannel("SNS", 1.2, "sales", "social", 0.15),
    LeadChannel("LinkedIn", 1.2, "sales", "social", 0.15),
    LeadChannel("X", 0.6, "sales", "social", 0.12),
    LeadChannel("note", 0.5, "sales", "social", 0.12),
    LeadChannel("Cold Call", 2.5, "inside_sales", "outbound", 0.08),
    LeadChannel("アウトバウンド", 1.5, "sales", "abm", 0.14),
    LeadChannel("Web", 7.0, "marketo", "web_marketing", 0.05),
    LeadChannel("問い合わせフォーム", 5.0, "marketo", "web_marketing", 0.15),
    LeadChannel("資料請求", 6.0, "marketo", "web_marketing", 0.06),
    LeadChannel("Advertisement", 2.5, "marketo", "web_marketing", 0.04),
    LeadChannel("Purchased List", 1.0, "admin", "web_marketing", 0.02),
    LeadChannel("", 3.0, "sales", "blank", 0.10),
    LeadChannel("", 1.5, "marketo", "blank", 0.05),
)

# Misspelled or re-typed LeadSource values seen in real orgs, per canonical value. The
# generator replaces a few percent of values with one of these.
DIRTY_SOURCE_VARIANTS: dict[str, tuple[str, ...]] = {
    "紹介": ("ご紹介", "紹介　", "ＲＥＦＥＲＥＮＣＥ", "Referral "),
    "リファーラル": ("ﾘﾌｧｰﾗﾙ", "Referral "),
    "Employee Referral": ("employee referral", "Ｅｍｐｌｏｙｅｅ　Ｒｅｆｅｒｒａｌ"),
    "名刺交換": ("名刺", "名刺交換 "),
    "Sansan": ("sansan", "Ｓａｎｓａｎ"),
    "展示会": ("展示会 ", "ﾃﾝｼﾞｶｲ"),
    "セミナー": ("ｾﾐﾅｰ", "Seminar"),
    "Webinar": ("ウェビナー", "webinar"),
    "Web": ("web", "ＷＥＢ", "Web "),
    "LinkedIn": ("Linkedin", "ＬｉｎｋｅｄＩｎ"),
    "note": ("ｎｏｔｅ", "Note"),
    "Cold Call": ("cold call", "テレアポ"),
    "休眠掘り起こし": ("休眠", "休眠顧客"),
}

# Lead_Source_Detail__c samples per LeadSource value. "{company}" is an existing customer's
# name and "{person}" a person's family name.
SOURCE_DETAILS: dict[str, tuple[str, ...]] = {
    "紹介": ("{company}様からのご紹介", "既存顧客 {person}様より紹介", "取引先経由", ""),
    "リファーラル": ("社員紹介", "{person}さん(元同僚)経由", ""),
    "Employee Referral": ("社員紹介制度", ""),
    "Partner Referral": ("販売代理店 {company}", "パートナー紹介"),
    "名刺交換": ("商談時の名刺", "懇親会", "異業種交流会", ""),
    "Sansan": ("Sansan名刺取り込み", "Sansan"),
    "Eight": ("Eight名刺取り込み",),
    "展示会": ("Japan IT Week 春", "DX総合EXPO", "ものづくりワールド", "営業支援EXPO 秋"),
    "セミナー": ("自社セミナー「営業DX入門」", "共催セミナー", "勉強会"),
    "Webinar": ("ウェビナー「SGLの測り方」", "ウェビナー「インサイドセールス実践」"),
    "休眠掘り起こし": ("過去取引先リスト", "失注顧客フォロー", "旧担当者からの引継ぎ"),
    "SNS": ("Facebook投稿", "個人ブログ"),
    "LinkedIn": ("LinkedInメッセージ", "LinkedIn投稿"),
    "X": ("Xのポスト経由",),
    "note": ("note記事「営業の型」", "note記事"),
    "Cold Call": ("架電リスト", "ターゲットリスト架電"),
    "アウトバウンド": ("ABM 重点攻略リスト", "手紙→架電", "役員宛レター"),
    "Web": ("organic", "google / cpc", "yahoo / cpc", "direct"),
    "問い合わせフォーム": ("お問い合わせ", "デモ依頼", "見積依頼"),
    "資料請求": ("サービス資料", "ホワイトペーパー「営業生産性」", "事例集"),
    "Advertisement": ("日経広告", "タクシー広告", "Facebook広告"),
    "Purchased List": ("購入リスト 2024", "企業データベース"),
}

# Lead statuses. The org switched to a Japanese picklist but kept the legacy English values
# on older records, as many Japanese orgs do after a re-implementation.
STATUS_NEW = ("未対応", "Open - Not Contacted")
STATUS_WORKING = ("対応中", "Working - Contacted")
STATUS_NURTURE = ("ナーチャリング", "Working - Contacted")
STATUS_UNQUALIFIED = ("不適格", "Closed - Not Converted")
STATUS_CONVERTED = ("商談化", "Closed - Converted")
LEGACY_STATUS_SHARE = 0.05


class Stage(NamedTuple):
    """One Salesforce opportunity stage, as the org's StageName picklist defines it."""

    name: str
    probability: int
    is_closed: bool
    is_won: bool


OPEN_STAGES: tuple[Stage, ...] = (
    Stage("アポ獲得", 10, is_closed=False, is_won=False),
    Stage("ヒアリング", 20, is_closed=False, is_won=False),
    Stage("提案", 40, is_closed=False, is_won=False),
    Stage("見積提示", 60, is_closed=False, is_won=False),
    Stage("最終交渉", 80, is_closed=False, is_won=False),
)
WON_STAGE = Stage("受注", 100, is_closed=True, is_won=True)
LOST_STAGE = Stage("失注", 0, is_closed=True, is_won=False)

# (reason, weight). The blank reason is a lost deal closed without the field filled in.
LOSS_REASONS: tuple[tuple[str, float], ...] = (
    ("価格", 5.0),
    ("競合", 4.5),
    ("タイミング", 4.0),
    ("予算不足", 3.5),
    ("機能不足", 3.0),
    ("社内稟議否決", 1.5),
    ("連絡途絶", 2.0),
    ("導入時期未定", 1.5),
    ("Price", 0.3),
    ("", 1.0),
)

NEXT_STEPS: tuple[str, ...] = (
    "来週 先方部長と打合せ",
    "見積書を送付",
    "トライアル環境の準備",
    "稟議の進捗を確認",
    "決裁者とのデモ日程調整",
    "導入スケジュール案を提示",
    "競合比較資料を送付",
    "契約書ドラフト確認",
    "セキュリティチェックシート回答",
    "",
)

# Deal sizes in JPY, drawn log-uniformly and rounded to 100,000 yen.
AMOUNT_MIN = 1_200_000
AMOUNT_MAX = 50_000_000

# Open stages of HubSpot's default sales pipeline, in order. The closed stages are
# closedwon and closedlost.
HUBSPOT_OPEN_STAGES: tuple[str, ...] = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
)

HUBSPOT_LOST_REASONS: tuple[str, ...] = (
    "価格が合わない",
    "競合に決定",
    "導入時期の延期",
    "予算が取れなかった",
    "必要な機能がない",
    "連絡が取れなくなった",
    "",
)


class HubSpotChannel(NamedTuple):
    """One way a HubSpot contact comes in: its source properties and who creates it."""

    analytics_source: str  # hs_analytics_source (Original source)
    source_data_1: tuple[str, ...]  # hs_analytics_source_data_1 samples
    object_source: str  # hs_object_source (Record source)
    source_detail: tuple[str, ...]  # hs_object_source_detail_1 samples
    lead_source: tuple[str, ...]  # the portal's custom lead_source dropdown samples
    weight: float
    creator: str  # creator kind; integrations and forms have no HubSpot user
    family: str
    deal_rate: float  # share of contacts that reach a deal


# HubSpot's REFERRALS source means the visitor followed a link on another website, so it is
# web marketing, never a person's referral.
HUBSPOT_CHANNELS: tuple[HubSpotChannel, ...] = (
    HubSpotChannel(
        "ORGANIC_SEARCH",
        ("google", "yahoo.co.jp", "bing"),
        "FORM",
        ("お問い合わせフォーム", "資料請求フォーム"),
        ("Web", ""),
        9.0,
        "form",
        "web_marketing",
        0.08,
    ),
    HubSpotChannel(
        "PAID_SEARCH",
        ("google", "yahoo.co.jp"),
        "FORM",
        ("資料請求フォーム",),
        ("Advertisement", "資料請求"),
        5.0,
        "form",
        "web_marketing",
        0.05,
    ),
    HubSpotChannel(
        "REFERRALS",
        ("prtimes.jp", "boxil.jp", "itreview.jp", "note.com"),
        "FORM",
        ("お問い合わせフォーム", "ホワイトペーパーDL"),
        ("Web", ""),
        4.0,
        "form",
        "web_marketing",
        0.06,
    ),
    HubSpotChannel(
        "SOCIAL_MEDIA",
        ("LinkedIn", "Twitter", "Facebook"),
        "FORM",
        ("ウェビナー申込",),
        ("SNS", "LinkedIn", ""),
        2.5,
        "form",
        "social",
        0.07,
    ),
    HubSpotChannel(
        "PAID_SOCIAL",
        ("Facebook", "LinkedIn"),
        "FORM",
        ("資料請求フォーム",),
        ("Advertisement",),
        1.5,
        "form",
        "web_marketing",
        0.04,
    ),
    HubSpotChannel(
        "EMAIL_MARKETING",
        ("メルマガ", "ナーチャリングメール"),
        "FORM",
        ("セミナー申込",),
        ("セミナー", ""),
        2.5,
        "form",
        "events",
        0.05,
    ),
    HubSpotChannel(
        "DIRECT_TRAFFIC",
        ("",),
        "FORM",
        ("お問い合わせフォーム", "デモ依頼フォーム"),
        ("問い合わせフォーム", ""),
        3.5,
        "form",
        "web_marketing",
        0.12,
    ),
    HubSpotChannel(
        "OTHER_CAMPAIGNS",
        ("展示会2024", "共催ウェビナー"),
        "IMPORT",
        ("展示会リスト.csv",),
        ("展示会", "Webinar"),
        2.0,
        "marketing",
        "events",
        0.05,
    ),
    HubSpotChannel(
        "OFFLINE",
        ("CRM_UI",),
        "CRM_UI",
        ("",),
        ("紹介", "リファーラル", "名刺交換", "休眠掘り起こし", ""),
        10.0,
        "sales",
        "referral",
        0.25,
    ),
    HubSpotChannel(
        "OFFLINE", ("CRM_UI",), "CRM_UI", ("",), ("休眠掘り起こし",), 2.0, "sales", "dormant", 0.20
    ),
    HubSpotChannel(
        "OFFLINE",
        ("IMPORT",),
        "IMPORT",
        ("展示会来場者リスト.csv", "セミナー参加者.xlsx"),
        ("展示会", "セミナー"),
        5.0,
        "marketing",
        "events",
        0.04,
    ),
    HubSpotChannel(
        "OFFLINE",
        ("INTEGRATION",),
        "INTEGRATION",
        ("Sansan",),
        ("Sansan", "名刺交換"),
        7.0,
        "sansan",
        "business_card",
        0.08,
    ),
    HubSpotChannel(
        "OFFLINE",
        ("INTEGRATION",),
        "INTEGRATION",
        ("Eight",),
        ("Eight",),
        1.5,
        "eight",
        "business_card",
        0.07,
    ),
    HubSpotChannel(
        "OFFLINE", ("EXTENSION",), "EXTENSION", ("Gmail",), ("",), 1.5, "sales", "other_sales", 0.12
    ),
)

# Salesforce activity kinds: (weight, Type, TaskSubtype, CallType). Events are meetings.
TASK_KINDS: tuple[tuple[float, str, str, str | None], ...] = (
    (5.0, "Call", "Call", "Outbound"),
    (0.6, "Call", "Call", "Inbound"),
    (3.5, "Email", "Email", None),
    (0.8, "手紙", "Task", None),
    (1.0, "Other", "Task", None),
)
TASK_SUBJECTS: dict[str, tuple[str, ...]] = {
    "Call": ("電話: 初回架電", "電話: フォロー", "電話: 日程調整", "Call"),
    "Email": ("メール: ご挨拶", "メール: 資料送付", "Email: お礼"),
    "手紙": ("手紙: 役員宛レター", "DM送付"),
    "Other": ("提案書作成", "社内共有", "見積作成"),
}
EVENT_KINDS: tuple[tuple[float, str, str, tuple[int, ...]], ...] = (
    (3.0, "オンライン商談", "オンライン商談", (30, 45, 60)),
    (2.0, "訪問", "訪問: 打合せ", (60, 90, 120)),
    (1.0, "Meeting", "Meeting", (30, 60)),
)
