"""``sgl attribute`` and ``sgl kpis``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import typer

from sgl import attribution_store
from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.attribution import compare_decisions, review_list, summarize_moves
from transforms.kpis import KPI_NAMES, all_kpis, month_bounds

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
        chosen = [name for name, value in (("--explain", explain), ("--diff", diff),
                                           ("--unknown", unknown)) if value]
        if len(chosen) > 1:
            output.error(_("Use only one of {options}.").format(options=", ".join(chosen)))
            raise typer.Exit(2)
        settings = state(ctx).settings()
        if explain:
            _explain(settings, explain, output_format or OutputFormat.table)
        elif diff:
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
            month_bounds(month)
        except SglError as error:
            raise typer.BadParameter(str(error), param_hint="--month") from None
        as_of_date = _parse_date(as_of) if as_of else datetime.now(
            ZoneInfo(settings.general.timezone)).date()
        _require_warehouse(settings)
        inputs = attribution_store.kpi_inputs(settings)
        if inputs.leads.height and _no_decisions(settings):
            output.info(_("No attribution saved yet: every record counts as unknown. Run "
                          "`sgl attribute` first."))
        figures = all_kpis(inputs, month, as_of_date)
        _emit_kpis(figures, output_format)


def _run(settings: Settings, output_format: OutputFormat, *, full: bool) -> None:
    _require_warehouse(settings)
    run = attribution_store.run_attribution(settings, full=full)
    output.info(_("Attributed {leads} leads and {opportunities} opportunities ({kind} run); "
                  "{changed} changed origin or channel.").format(
        leads=run.leads, opportunities=run.opportunities, changed=run.changed,
        kind=_("full") if run.full else _("incremental")))
    output.emit(run.counts, output_format, title=_("Records per origin and channel"),
                headers=_headers())


def _explain(settings: Settings, reference: str, output_format: OutputFormat) -> None:
    # Import sources contain a colon themselves (import:zoho_crm), so the id follows the last.
    source, _sep, source_id = reference.rpartition(":")
    if not source or not source_id:
        output.error(_("Invalid record {value!r}: expected SOURCE:ID, such as "
                       "salesforce:00Q5g00000ABCDE.").format(value=reference))
        raise typer.Exit(2)
    rules = attribution_store.rules_for(settings)
    frames, result = _decide(settings, rules)
    rows = result.details.filter((pl.col("source") == source)
                                 & (pl.col("source_id") == source_id))
    if rows.height == 0:
        raise SglError(_("No lead or opportunity {record} in the warehouse. Check the source "
                         "name (e.g. salesforce, hubspot) and the id.").format(record=reference))
    lines = []
    for row in rows.iter_rows(named=True):
        for part in ("origin", "channel"):
            rule_id = row[f"{part}_rule"]
            rule = rules.by_id(rule_id.split(":")[-1]) if rule_id else None
            lines.append({
                "record_kind": row["record_kind"], "item": part, "value": row[part],
                "detail": rule_id,
                "note": (f"{rule.label_en} / {rule.label_ja} (line {rule.line})" if rule
                         else _("person-set in the CRM") if row[f"{part}_explicit"] else ""),
            })
        for name in EXPLAIN_FACTS:
            if name in row and row[name] is not None:
                lines.append({"record_kind": row["record_kind"], "item": name,
                              "value": str(row[name]), "detail": "", "note": ""})
    output.emit(pl.DataFrame(lines), output_format,
                title=_("How {record} was decided").format(record=reference),
                headers={"record_kind": _("Record"), "item": _("Field or fact"),
                         "value": _("Value"), "detail": _("Rule"), "note": _("Note")})


def _diff(settings: Settings, rules_file: Path, output_format: OutputFormat) -> None:
    current_rules = attribution_store.rules_for(settings)
    proposed_rules = attribution_store.rules_for(settings, rules_file)
    frames, current = _decide(settings, current_rules)
    proposed = attribution_store.decide(settings, frames, proposed_rules)
    moves = compare_decisions(current.table, proposed.table)
    output.info(_("{count} records would change origin or channel; nothing was saved.")
                .format(count=moves.height))
    output.emit(summarize_moves(moves), output_format, title=_("Moves per origin and channel"),
                headers=_headers())
    if moves.height and output_format is OutputFormat.table:
        output.emit(moves, output_format, title=_("Records that would move"))


def _unknown(settings: Settings, output_format: OutputFormat) -> None:
    _frames, result = _decide(settings, attribution_store.rules_for(settings))
    review = review_list(result.details)
    output.info(_("{count} records need a person's decision.").format(count=review.height))
    output.emit(review, output_format, title=_("Records to review"))


def _decide(settings: Settings, rules):  # noqa: ANN202 - internal pair
    _require_warehouse(settings)
    with Warehouse.open(settings.warehouse_path, holder="sgl attribute",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        frames = attribution_store.read_frames(warehouse)
    return frames, attribution_store.decide(settings, frames, rules, datetime.now(UTC))


def _no_decisions(settings: Settings) -> bool:
    with Warehouse.open(settings.warehouse_path, holder="sgl kpis",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        return warehouse.read("attribution", columns=["source_id"]).height == 0


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


def _emit_kpis(figures: dict[str, pl.DataFrame], output_format: OutputFormat) -> None:
    if output_format is OutputFormat.table:
        for name in KPI_NAMES:
            output.emit(figures[name], output_format, title=name)
        return
    # JSON and CSV get one long frame; values become text so exact decimals survive.
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


def _headers() -> dict[str, str]:
    return {"record_kind": _("Record"), "origin": _("Origin"), "channel": _("Channel"),
            "records": _("Records"), "origin_before": _("Origin before"),
            "channel_before": _("Channel before"), "origin_after": _("Origin after"),
            "channel_after": _("Channel after")}
