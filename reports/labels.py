"""Display names of the model's keys (metrics, origins, channels, columns) in one locale.

The report and the human tables of ``sgl kpis`` and ``sgl attribute`` share them.
"""

from __future__ import annotations

from collections.abc import Callable

from sgl.i18n import translate


class Labels:
    """Translated names for the keys that the report model stores."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def metric(self, key: str) -> str:
        return self._pick(key, {
            "sgl_count": lambda: translate("SGLs created", self.locale),
            "sgl_sql_rate": lambda: translate("SGL→SQL rate", self.locale),
            "sgl_win_rate": lambda: translate("SGL→won rate", self.locale),
            "sgl_won_amount": lambda: translate("Won amount from SGLs", self.locale),
            "sgl_pipeline_amount": lambda: translate("New SGL pipeline", self.locale),
            "cost_per_sgl": lambda: translate("Cost per SGL", self.locale),
        })

    def origin(self, key: str) -> str:
        return self._pick(key, {
            "sales": lambda: translate("SGL (sales)", self.locale),
            "marketing": lambda: translate("MQL (marketing)", self.locale),
            "partner": lambda: translate("Partner", self.locale),
            "unknown": lambda: translate("Unknown origin", self.locale),
        })

    def channel(self, key: str | None) -> str:
        if key is None:
            return translate("All channels", self.locale)
        return self._pick(key, {
            "referral": lambda: translate("Referral", self.locale),
            "dormant_revival": lambda: translate("Dormant customer revival", self.locale),
            "network": lambda: translate("Network and business-card re-contact", self.locale),
            "social": lambda: translate("Social media and own content", self.locale),
            "abm": lambda: translate("ABM outbound", self.locale),
            "other_sales": lambda: translate("Other sales-originated", self.locale),
            "web": lambda: translate("Website", self.locale),
            "advertising": lambda: translate("Advertising", self.locale),
            "email": lambda: translate("Email marketing", self.locale),
            "event": lambda: translate("Events and seminars", self.locale),
            "social_media": lambda: translate("Social media (marketing)", self.locale),
            "content": lambda: translate("Content", self.locale),
            "list": lambda: translate("Purchased or imported list", self.locale),
            "other_marketing": lambda: translate("Other marketing", self.locale),
            "partner": lambda: translate("Partner", self.locale),
            "unknown": lambda: translate("Unknown", self.locale),
        })

    def kpi(self, key: str) -> str:
        """Name one of ``transforms.kpis.KPI_NAMES`` as a table title."""
        return self._pick(key, {
            "lead_counts": lambda: translate("Leads by origin and channel", self.locale),
            "sgl_counts": lambda: translate("SGLs by channel, rep and team", self.locale),
            "target_attainment": lambda: translate("SGL target attainment", self.locale),
            "cohort_rates": lambda: translate("SGL vs MQL conversion", self.locale),
            "cost_per_sgl": lambda: translate("Cost per SGL", self.locale),
            "won_deal_size": lambda: translate("Average won deal size", self.locale),
            "realized_ltv": lambda: translate("Realized LTV", self.locale),
            "pipeline_mix": lambda: translate("Pipeline mix", self.locale),
            "velocity": lambda: translate("Velocity", self.locale),
            "best_actions": lambda: translate("Best SGL actions this month", self.locale),
            "lost_learnings": lambda: translate("Learnings from lost SGLs", self.locale),
        })

    def dimension(self, key: str) -> str:
        """Name the grouping of an SGL count or target row."""
        return self._pick(key, {
            "total": lambda: translate("Total", self.locale),
            "channel": lambda: translate("Channel", self.locale),
            "rep": lambda: translate("Rep", self.locale),
            "team": lambda: translate("Team", self.locale),
        })

    def measure(self, key: str) -> str:
        """Name a pipeline amount or a velocity interval."""
        return self._pick(key, {
            "new_pipeline": lambda: translate("New pipeline", self.locale),
            "won": lambda: translate("Won", self.locale),
            "created_to_sql": lambda: translate("Created → SQL", self.locale),
            "sql_to_won": lambda: translate("SQL → won", self.locale),
        })

    def record_kind(self, key: str) -> str:
        return self._pick(key, {
            "lead": lambda: translate("Lead", self.locale),
            "opportunity": lambda: translate("Opportunity", self.locale),
        })

    def review_reason(self, key: str) -> str:
        return self._pick(key, {
            "unrecognized_crm_value": lambda: translate("Unrecognized CRM value", self.locale),
            "conflicting_crm_values": lambda: translate(
                "CRM origin and channel do not match", self.locale),
            "unknown_origin": lambda: translate("Origin unknown", self.locale),
        })

    def segment(self, key: str) -> str:
        return self._pick(key, {
            "sgl": lambda: translate("SGL-sourced deals", self.locale),
            "other": lambda: translate("Other deals", self.locale),
        })

    def event(self, key: str) -> str:
        return self._pick(key, {
            "created": lambda: translate("Created", self.locale),
            "won": lambda: translate("Won", self.locale),
        })

    def detail_column(self, key: str) -> str:
        return self._pick(key, {
            "created": lambda: translate("Created on", self.locale),
            "rep": lambda: translate("Rep", self.locale),
            "team": lambda: translate("Team", self.locale),
            "channel": lambda: translate("Channel", self.locale),
            "qualified": lambda: translate("SQL on", self.locale),
            "won": lambda: translate("Won on", self.locale),
            "source": lambda: translate("Source", self.locale),
            "record_id": lambda: translate("Record id", self.locale),
        })

    def source(self, key: str) -> str:
        return self._pick(key, {
            "salesforce": lambda: "Salesforce",
            "hubspot": lambda: "HubSpot",
        })

    @staticmethod
    def _pick(key: str, names: dict[str, Callable[[], str]]) -> str:
        # An unknown key is shown as it is rather than failing the whole report.
        found = names.get(key)
        return found() if found else key
