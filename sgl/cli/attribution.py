"""``sgl attribute`` and ``sgl kpis``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import typer

from reports.formatting import EMPTY, Formatter, fiscal_year_of
from reports.labels import Labels
from reports.model import Figure
from sgl import attribution_store
from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import Column, OutputFormat
from sgl.errors import SglError
from sgl.i18n import _, get_locale
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.attribution import CanonicalFrames, compare_decisions, review_list, summarize_moves
from transforms.kpis import KPI_NAMES, KpiParams, all_kpis, month_bounds, prepare

# Records that --diff lists in its table; the totals per origin and channel cover them all.
MOVES_LISTED = 50
# Facts shown by --explain, in this order, when the record has them.
EXPLAIN_FACTS = (
    "object", "person_id", "decided_by", "linked_lead_id", "created_at", "lead_source",
    "record_source", "record_source_detail", "creator_role", "owner_role", "is_abm_target",
    "opportunity_type", "former_customer", "last_closed_lost", "days_since_last_activity",
    "days_since_last_closed_opportunity", "crm_origin", "crm_channel", "last_written_origin",
    "last_written_channel",
)


def register(app: typer.Typer) -> None:
    @app.command("attribute", help=_("Decide the origin and channel of every lead and "
                                     "opportunity and save them; or explain, preview or "
                                     "review decisions."))
    def attribute(
        ctx: typer.Context,
        explain: str = typer.Option(None, "--explain", metavar="SOURCE:ID",
                                    help=_("Show which rule decided each field of one record, "
                                           "and the facts it used.")),
        diff: Path = typer.Option(None, "--diff", metavar="RULES_FILE",
                                  help=_("Preview which records a rules file would move, "
                                         "without saving anything.")),
        unknown: bool = typer.Option(False, "--unknown",
                                     help=_("List records that need a person's decision "
                                            "(CSV unless --format says otherwise).")),
        full: bool = typer.Option(False, "--full",
                                  help=_("Recompute every record, not only changed ones.")),
        output_format: OutputFormat = typer.Option(None, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        # An empty --explain or --diff value is still a choice, and an invalid one.
        chosen = [name for name, value in (("--explain", explain), ("--diff", diff),
                                           ("--unknown", unknown or None))
                  if value is not None]
        if len(chosen) > 1:
            output.error(_("Use only one of {options}.").format(options=", ".join(chosen)))
            raise typer.Exit(2)
        if full and chosen:
            # Those modes decide every record anyway and save nothing.
            output.error(_("--full saves a full run; leave it out with {option}.").format(
                option=chosen[0]))
            raise typer.Exit(2)
        settings = state(ctx).settings()
        if explain is not None:
            _explain(settings, explain, output_format or OutputFormat.table)
        elif diff is not None:
            _diff(settings, diff, output_format or OutputFormat.table)
        elif unknown:
            _unknown(settings, output_format or OutputFormat.csv)
        else:
            _run(settings, output_format or OutputFormat.table, full=full)

    @app.command("kpis", help=_("Print the KPIs of one month."))
    def kpis(
        ctx: typer.Context,
        month: str = typer.Option(..., "--month", metavar="YYYY-MM",
                                  help=_("Calendar month in the configured time zone.")),
        as_of: str = typer.Option(None, "--as-of", metavar="DATE",
                                  help=_("Date the figures are as of (default: today in the "
                                         "configured time zone).")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        settings = state(ctx).settings()
        try:
            first_day, _last_day = month_bounds(month)
        except SglError as error:
            raise typer.BadParameter(str(error), param_hint="--month") from None
        as_of_date = _parse_date(as_of) if as_of else datetime.now(
            ZoneInfo(settings.general.timezone)).date()
        if as_of_date < first_day:
            raise typer.BadParameter(
                _("{as_of} is before the month {month}: the figures would be as of a day "
                  "before its leads existed. Give a date on or after {first}.").format(
                    as_of=as_of_date.isoformat(), month=month, first=first_day.isoformat()),
                param_hint="--as-of")
        _require_warehouse(settings)
        with Warehouse.open(settings.warehouse_path, holder="sgl kpis",
                            lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
            frames = attribution_store.read_frames(warehouse)
        inputs = prepare(frames, KpiParams.from_settings(settings))
        if inputs.leads.height and frames.attribution.height == 0:
            output.info(_("No attribution saved yet: every record counts as unknown. Run "
                          "`sgl attribute` first."))
        elif undecided := _undecided_leads(frames):
            output.info(_("{count} leads have no saved decision yet (loaded after the last "
                          "attribution) and count as unknown. Run `sgl attribute` first.")
                        .format(count=undecided))
        figures = all_kpis(inputs, month, as_of_date)
        if output_format is OutputFormat.table:
            KpiTables(settings, month, as_of_date, _rep_names(frames)).print(figures)
        else:
            _emit_kpi_data(figures, output_format)


def _undecided_leads(frames: CanonicalFrames) -> int:
    """Count the leads without a saved decision."""
    decided = frames.attribution.filter(pl.col("record_kind") == "lead")
    return frames.leads.join(decided, on=["source", "source_id"], how="anti").height


def _run(settings: Settings, output_format: OutputFormat, *, full: bool) -> None:
    _require_warehouse(settings)
    run = attribution_store.run_attribution(settings, full=full)
    output.info(_("Attributed {leads} leads and {opportunities} opportunities ({kind} run); "
                  "{changed} changed origin or channel.").format(
        leads=run.leads, opportunities=run.opportunities, changed=run.changed,
        kind=_("full") if run.full else _("incremental")))
    if run.rules_changed:
        output.info(_("The rules or attribution settings changed since the last run, so "
                      "every record was recomputed."))
    # An incremental run counts only the records it recomputed.
    title = (_("Records per origin and channel") if run.full
             else _("Recomputed records per origin and channel"))
    output.emit(run.counts, output_format, title=title, headers=_headers(),
                display=_display())


def _explain(settings: Settings, reference: str, output_format: OutputFormat) -> None:
    selected = _record_matches(reference)
    if selected is None:
        output.error(_("Invalid record {value!r}: expected SOURCE:ID, such as "
                       "salesforce:00Q5g00000ABCDE.").format(value=reference))
        raise typer.Exit(2)
    rules = attribution_store.rules_for(settings)
    frames, result = _decide(settings, rules)
    rows = result.details.filter(selected)
    if rows.height == 0:
        raise SglError(_("No lead or opportunity {record} in the warehouse. Check the source "
                         "name (e.g. salesforce, hubspot) and the id.").format(record=reference))
    lines = []
    for row in rows.iter_rows(named=True):
        # When another record decided (the person's first lead, an opportunity's lead), the
        # facts listed below are this record's, not the ones the rule read.
        own = f"{row['source']}:{row['source_id']}"
        elsewhere = row.get("decided_by") not in (None, own)
        for part in ("origin", "channel"):
            rule_id = row[f"{part}_rule"]
            rule = rules.by_id(rule_id.split(":")[-1]) if rule_id else None
            label = rule and (rule.label_ja if get_locale() == "ja" else rule.label_en)
            note = (_("{rule} (line {line})").format(rule=label, line=rule.line) if rule
                    else _("person-set in the CRM") if row[f"{part}_explicit"] else "")
            if elsewhere and not row[f"{part}_explicit"]:
                note = (_("{note}, decided on the facts of {record}") if note
                        else _("decided on the facts of {record}")).format(
                    note=note, record=row["decided_by"])
            lines.append({
                "record_kind": row["record_kind"], "item": part, "value": row[part],
                "detail": rule_id, "note": note,
            })
        for name in EXPLAIN_FACTS:
            if name in row and row[name] is not None:
                lines.append({"record_kind": row["record_kind"], "item": name,
                              "value": str(row[name]), "detail": "", "note": ""})
    if output_format is not OutputFormat.table:
        output.emit(pl.DataFrame(lines), output_format)
        return
    for kind in dict.fromkeys(line["record_kind"] for line in lines):
        _print_explanation(reference, [line for line in lines if line["record_kind"] == kind])


def _record_matches(reference: str) -> pl.Expr | None:
    """Select the records ``SOURCE:ID`` may name, or return None when it names none.

    Sources (import:zoho_crm) and ids (A:1) may both contain colons, so every split is
    tried. Sources are lower case. A 15-character Salesforce id, as Salesforce shows in
    its pages and reports, names the record whose 18-character id starts with it.
    """
    text = reference.strip()
    splits = [(text[:index].strip().lower(), text[index + 1:].strip())
              for index, character in enumerate(text) if character == ":"]
    splits = [(source, source_id) for source, source_id in splits if source and source_id]
    if not splits:
        return None
    source_id = pl.col("source_id")
    matching = pl.lit(value=False)
    for source, record_id in splits:
        same = source_id == record_id
        if source == "salesforce" and len(record_id) == 15:
            same = same | ((source_id.str.len_chars() == 18)
                           & (source_id.str.slice(0, 15) == record_id))
        matching = matching | ((pl.col("source") == source) & same)
    return matching


def _print_explanation(reference: str, lines: list[dict[str, Any]]) -> None:
    """Print one record's decisions, with labels in place of ids, then the facts behind them."""
    labels = Labels(get_locale())
    named = {"origin": (_("Origin"), labels.origin), "channel": (_("Channel"), labels.channel)}
    # Each record lists its origin and channel first, then its facts.
    decisions, facts = lines[:2], lines[2:]
    output.print_table(
        [Column(_("Field")), Column(_("Value")), Column(_("Rule"), whole=True),
         Column(_("Note"))],
        [[named[line["item"]][0], named[line["item"]][1](line["value"]),
          line["detail"] or EMPTY, line["note"] or EMPTY] for line in decisions],
        title=_("How {record} was decided ({kind})").format(
            record=reference, kind=labels.record_kind(lines[0]["record_kind"])))
    output.print_table([Column(_("Fact"), whole=True), Column(_("Value"))],
                       [[line["item"], line["value"]] for line in facts],
                       title=_("Facts used"))


def _diff(settings: Settings, rules_file: Path, output_format: OutputFormat) -> None:
    current_rules = attribution_store.rules_for(settings)
    proposed_rules = attribution_store.rules_for(settings, rules_file)
    frames, current = _decide(settings, current_rules)
    proposed = attribution_store.decide(settings, frames, proposed_rules)
    moves = compare_decisions(current.table, proposed.table)
    output.info(_("{count} records would change origin or channel; nothing was saved.")
                .format(count=moves.height))
    output.emit(summarize_moves(moves), output_format, title=_("Moves per origin and channel"),
                headers=_headers(), display=_display())
    if moves.height and output_format is OutputFormat.table:
        _print_moves(moves)


def _print_moves(moves: pl.DataFrame) -> None:
    """List the records a rules change would move, narrow enough for 80 columns.

    The record is written as ``--explain`` takes it, and each of origin, channel and rule as
    "before → after", or once when it stays the same.
    """
    labels = Labels(get_locale())

    def change(before: str | None, after: str | None, label: Callable[[str], str]) -> str:
        first, second = (label(value) if value else EMPTY for value in (before, after))
        return first if before == after else f"{first} → {second}"

    rows = [[f"{row['source']}:{row['source_id']}", labels.record_kind(row["record_kind"]),
             change(row["origin_before"], row["origin_after"], labels.origin),
             change(row["channel_before"], row["channel_after"], labels.channel),
             change(row["rule_before"], row["rule_after"], str)]
            for row in moves.head(MOVES_LISTED).iter_rows(named=True)]
    note = (_("The first {listed} of {count} records are listed.").format(
        listed=MOVES_LISTED, count=moves.height) if moves.height > MOVES_LISTED else None)
    output.print_table([Column(_("Record id"), whole=True), Column(_("Record")),
                        Column(_("Origin")), Column(_("Channel")), Column(_("Rule"))],
                       rows, title=_("Records that would move"), note=note)


def _unknown(settings: Settings, output_format: OutputFormat) -> None:
    _frames, result = _decide(settings, attribution_store.rules_for(settings))
    review = review_list(result.details)
    output.info(_("{count} records need a person's decision.").format(count=review.height))
    if output_format is OutputFormat.table:
        # All seventeen columns do not fit a terminal, so the table shows six. CSV and JSON
        # keep them all.
        review = review.select(
            "reason", (pl.col("source") + ":" + pl.col("source_id")).alias("record"),
            "record_kind", "lead_source", "origin", "channel")
    output.emit(review, output_format, title=_("Records to review"),
                headers={**_headers(), "reason": _("Reason"), "record": _("Record id"),
                         "lead_source": _("Lead source")},
                display={**_display(), "reason": Labels(get_locale()).review_reason},
                whole=("record",))


def _decide(settings: Settings, rules):  # noqa: ANN202 - internal pair
    _require_warehouse(settings)
    with Warehouse.open(settings.warehouse_path, holder="sgl attribute",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        frames = attribution_store.read_frames(warehouse)
    return frames, attribution_store.decide(settings, frames, rules, datetime.now(UTC))


def _require_warehouse(settings: Settings) -> None:
    if not settings.warehouse_path.exists():
        raise SglError(_("No warehouse at {path} yet. Run `sgl sync` or `sgl import` first.")
                       .format(path=settings.warehouse_path))


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_("Invalid date {value!r}: expected YYYY-MM-DD.").format(
            value=value), param_hint="--as-of") from None


def _emit_kpi_data(figures: dict[str, pl.DataFrame], output_format: OutputFormat) -> None:
    # JSON and CSV get one long frame with the KPI ids. Values become text so that exact
    # decimals survive.
    parts = [
        figures[name].with_columns(
            [pl.col(column).cast(pl.Utf8) for column in figures[name].columns
             if column not in ("period",)]
        ).with_columns(pl.lit(name).alias("kpi"))
        for name in KPI_NAMES
    ]
    combined = pl.concat(parts, how="diagonal_relaxed")
    output.emit(combined.select("kpi", *[c for c in combined.columns if c != "kpi"]),
                output_format)


def _rep_names(frames: CanonicalFrames) -> dict[str, str]:
    users = frames.users.filter(pl.col("name").is_not_null())
    return dict(zip(users["source_id"].to_list(), users["name"].to_list(), strict=True))


def _headers() -> dict[str, str]:
    return {"record_kind": _("Record"), "origin": _("Origin"), "channel": _("Channel"),
            "records": _("Records"), "origin_before": _("Origin before"),
            "channel_before": _("Channel before"), "origin_after": _("Origin after"),
            "channel_after": _("Channel after")}


def _display() -> dict[str, Callable[[Any], str]]:
    """Return the writers that put labels in place of ids in attribution tables."""
    labels = Labels(get_locale())
    return {"record_kind": labels.record_kind, "records": Formatter(get_locale()).count,
            "origin": labels.origin, "origin_before": labels.origin,
            "origin_after": labels.origin, "channel": labels.channel,
            "channel_before": labels.channel, "channel_after": labels.channel}



# -- KPI tables for people ---------------------------------------------------------------


class KpiTables:
    """Print the KPI frames of one month as tables for people, in the active language.

    Ids become labels, amounts are rounded to the reporting currency's minor unit, and rates
    are percentages with their numerator and denominator. ``--format json`` and ``csv``
    keep the frames' ids and exact values.
    """

    def __init__(self, settings: Settings, month: str, as_of: date,
                 rep_names: Mapping[str, str]) -> None:
        locale = get_locale()
        start_month = settings.general.fiscal_year_start_month
        self.labels = Labels(locale)
        # Full amounts such as ¥1,234,567, never 万円 or 億円, because the table is for checking
        # figures.
        self.fmt = Formatter(locale, settings.general.reporting_currency, "yen", start_month)
        self.first_day = month_bounds(month)[0]
        self.fiscal_year = fiscal_year_of(self.first_day, start_month)
        self.as_of = as_of
        self.rep_names = rep_names

    def print(self, figures: Mapping[str, pl.DataFrame]) -> None:
        output.heading(_("KPIs of {month}, as of {date}").format(
            month=self.fmt.month(self.first_day), date=self.fmt.day(self.as_of)))
        tables: dict[str, Callable[[pl.DataFrame, str], None]] = {
            "lead_counts": self._lead_counts, "sgl_counts": self._sgl_counts,
            "target_attainment": self._target_attainment, "cohort_rates": self._cohort_rates,
            "cost_per_sgl": self._cost_per_sgl, "won_deal_size": self._won_deal_size,
            "realized_ltv": self._realized_ltv, "pipeline_mix": self._pipeline_mix,
            "velocity": self._velocity, "best_actions": self._best_actions,
            "lost_learnings": self._lost_learnings,
        }
        for name in KPI_NAMES:
            tables[name](figures[name], self.labels.kpi(name))

    # -- one method per KPI, in the order of KPI_NAMES ------------------------------------

    def _lead_counts(self, frame: pl.DataFrame, title: str) -> None:
        # A null channel is the origin's total over all its channels.
        self._table(title, [Column(_("Origin")), Column(_("Channel")),
                            Column(_("Leads"), numeric=True)],
                    [[self.labels.origin(row["origin"]), self.labels.channel(row["channel"]),
                      self.fmt.count(row["value"])] for row in frame.iter_rows(named=True)])

    def _sgl_counts(self, frame: pl.DataFrame, title: str) -> None:
        rows = [[self.labels.dimension(row["dimension"]), self._group(row),
                 (row["team"] or EMPTY) if row["dimension"] == "rep" else "",
                 self.fmt.count(row["value"])] for row in frame.iter_rows(named=True)]
        self._table(title, [Column(_("Grouping")), Column(_("Group")), Column(_("Team")),
                            Column(_("SGLs"), numeric=True)], rows)

    def _target_attainment(self, frame: pl.DataFrame, title: str) -> None:
        rows = [[self.labels.dimension(row["dimension"]),
                 self._group(row),
                 self.fmt.count(row["numerator"]), self.fmt.count(row["denominator"]),
                 self.fmt.percent(_decimal(row["value"]))]
                for row in frame.iter_rows(named=True)]
        self._table(title, [Column(_("Grouping")), Column(_("Group")),
                            Column(_("SGLs"), numeric=True), Column(_("Target"), numeric=True),
                            Column(_("Attainment"), numeric=True)], rows,
                    empty=_("No SGL targets are set ([kpi] targets_by_rep, targets_by_team)."))

    def _cohort_rates(self, frame: pl.DataFrame, title: str) -> None:
        # One row per origin, as in the report, because both stages share the month's cohort.
        windows: dict[str, int] = {}
        leads: dict[str, int] = {}
        rates: dict[str, dict[str, str]] = {}
        for row in frame.iter_rows(named=True):
            windows[row["stage"]] = row["window_days"]
            leads[row["origin"]] = row["denominator"]
            rates.setdefault(row["origin"], {})[row["stage"]] = self._rate(row)
        maturing = frame.height > 0 and bool(frame["maturing"].any())
        self._table(title, [
            Column(_("Origin")), Column(_("Leads"), numeric=True),
            Column(_("→SQL within {days} days").format(days=windows.get("sql", EMPTY)),
                   numeric=True),
            Column(_("→won within {days} days").format(days=windows.get("won", EMPTY)),
                   numeric=True),
        ], [[self.labels.origin(origin), self.fmt.count(leads[origin]),
             by_stage.get("sql", EMPTY), by_stage.get("won", EMPTY)]
            for origin, by_stage in rates.items()],
            note=_maturing_note() if maturing else None)

    def _cost_per_sgl(self, frame: pl.DataFrame, title: str) -> None:
        rows = [[self._rep(row["rep_id"]) if row["rep_id"] else _("All reps"),
                 self.fmt.number(_decimal(row["effort_hours"]), 1),
                 self.fmt.money(row["numerator"]), self.fmt.count(row["denominator"]),
                 self.fmt.money(row["value"]),
                 self.fmt.number(_decimal(row["hours_per_sgl"]), 1)]
                for row in frame.iter_rows(named=True)]
        unpriced = frame.height > 0 and frame["numerator"].null_count() > 0
        self._table(title, [
            Column(_("Rep")), Column(_("Prospecting hours"), numeric=True),
            Column(_("Cost"), numeric=True), Column(_("SGLs"), numeric=True),
            Column(_("Cost per SGL"), numeric=True), Column(_("Hours per SGL"), numeric=True),
        ], rows, note=_("A dash in Cost: no hourly cost is set for the rep or their role "
                        "([kpi] hourly_cost_by_user, hourly_cost_by_role).")
            if unpriced else None)

    def _won_deal_size(self, frame: pl.DataFrame, title: str) -> None:
        self._table(title, [
            Column(_("Period")), Column(_("Deals")), Column(_("Won deals"), numeric=True),
            Column(_("Won amount"), numeric=True), Column(_("Average won deal"), numeric=True),
        ], [[self._scope(row["scope"]), self.labels.segment(row["segment"]),
             self.fmt.count(row["denominator"]), self.fmt.money(row["numerator"]),
             self.fmt.money(row["value"])] for row in frame.iter_rows(named=True)])

    def _realized_ltv(self, frame: pl.DataFrame, title: str) -> None:
        self._table(title, [
            Column(_("Deals")), Column(_("Accounts"), numeric=True),
            Column(_("Won amount"), numeric=True),
            Column(_("Realized LTV per account"), numeric=True),
        ], [[self.labels.segment(row["segment"]), self.fmt.count(row["denominator"]),
             self.fmt.money(row["numerator"]), self.fmt.money(row["value"])]
            for row in frame.iter_rows(named=True)])

    def _pipeline_mix(self, frame: pl.DataFrame, title: str) -> None:
        # One table per scope and measure, the month first, so each fits 80 columns.
        for scope in ("month", "fiscal_ytd"):
            for measure in ("new_pipeline", "won"):
                part = frame.filter((pl.col("scope") == scope) & (pl.col("measure") == measure))
                self._table(_("{title}: {measure} ({period})").format(
                    title=title, measure=self.labels.measure(measure),
                    period=self._scope(scope)),
                    [Column(_("Origin")), Column(_("Channel")),
                     Column(_("Opportunities"), numeric=True),
                     Column(_("Amount"), numeric=True)],
                    [[self.labels.origin(row["origin"]), self.labels.channel(row["channel"]),
                      self.fmt.count(row["opportunities"]), self.fmt.money(row["value"])]
                     for row in part.iter_rows(named=True)])

    def _velocity(self, frame: pl.DataFrame, title: str) -> None:
        self._table(title, [
            Column(_("Interval")), Column(_("Origin")), Column(_("Median days"), numeric=True),
            Column(_("Intervals"), numeric=True),
            Column(_("Dated backwards"), numeric=True),
        ], [[self.labels.measure(row["measure"]), self.labels.origin(row["origin"]),
             self.fmt.number(_decimal(row["value"]), 1), self.fmt.count(row["numerator"]),
             self.fmt.count(row["negative_intervals"])] for row in frame.iter_rows(named=True)],
            note=_("Dated backwards: the later event is dated before the earlier one; such "
                      "intervals stay out of the median."))

    def _best_actions(self, frame: pl.DataFrame, title: str) -> None:
        self._table(title, [
            Column("#", numeric=True), Column(_("Opportunity")), Column(_("Kind")),
            Column(_("Rep")), Column(_("Channel")), Column(_("Amount"), numeric=True),
            Column(_("Next step")),
        ], [[self.fmt.count(row["rank"]), row["name"] or row["source_id"],
             self.labels.event(row["event"]), self._rep(row["rep_id"]),
             self.labels.channel(row["channel"]), self.fmt.money(row["value"]),
             row["next_step"] or ""] for row in frame.iter_rows(named=True)])

    def _lost_learnings(self, frame: pl.DataFrame, title: str) -> None:
        self._table(title, [
            Column("#", numeric=True), Column(_("Loss reason")),
            Column(_("Opportunities"), numeric=True), Column(_("Amount"), numeric=True),
        ], [[self.fmt.count(row["rank"]), row["loss_reason"] or _("No reason recorded"),
             self.fmt.count(row["value"]), self.fmt.money(row["amount"])]
            for row in frame.iter_rows(named=True)])

    # -- shared pieces ---------------------------------------------------------------------

    def _table(self, title: str, columns: list[Column], rows: list[list[str]],
               note: str | None = None, empty: str | None = None) -> None:
        if not rows:
            note = empty or _("Nothing to show.")
        output.print_table(columns, rows, title=title, note=note)

    def _group(self, row: Mapping[str, Any]) -> str:
        """Name the channel, rep or team that an SGL count or target row is about."""
        dimension = row["dimension"]
        if dimension == "channel":
            return self.labels.channel(row["channel"])
        if dimension == "rep":
            return self._rep(row["rep_id"])
        if dimension == "team":
            return row["team"] or EMPTY
        return ""

    def _rep(self, rep_id: str | None) -> str:
        if rep_id is None:
            return EMPTY
        return self.rep_names.get(rep_id, rep_id)

    def _scope(self, scope: str) -> str:
        if scope == "fiscal_ytd":
            return _("{fiscal_year} to date").format(
                fiscal_year=self.fmt.fiscal_year(self.fiscal_year))
        return self.fmt.month(self.first_day)

    def _rate(self, row: Mapping[str, Any]) -> str:
        text = self.fmt.rate(Figure(_decimal(row["value"]), row["numerator"],
                                    row["denominator"]))
        return text + " *" if row["maturing"] else text


def _decimal(value: float | Decimal | None) -> Decimal | None:
    # Rates and hours arrive as floats. str() gives the shortest decimal that round-trips.
    return None if value is None else Decimal(str(value))


def _maturing_note() -> str:
    return "* " + _("Maturing cohort: its window has not closed by the as-of date, so the "
                    "rate can still rise.")
