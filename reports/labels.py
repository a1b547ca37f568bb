"""Display names of the model's keys (metrics, origins, channels, columns) in one locale."""

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
