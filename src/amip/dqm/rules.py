"""The data-quality rules, each declared once as data.

A rule is a SQL query over the warehouse (DuckDB) that returns one row per finding:
``person_id``, ``anchor`` (the day the defect refers to; the finding's month is the month of this
day, which is the month the defect arose) and ``detail`` (a German text without names; dates and
numbers only). ``(person_id, anchor)`` is unique per rule and, with the rule id, identifies the
finding across runs.

The queries may use the parameters ``$cutoff`` (the Stichtag of the data set's last month: nothing
after it is known) and these helper views that :func:`amip.dqm.run.prepare` creates:

- ``dq_spells(person_id, jobcenter_id, s, e)``: ELB spells, open end as 9999-12-31;
- ``dq_stretches(person_id, s, e)``: a person's ELB spells merged into stretches of continuous
  receipt (overlapping or adjacent spells, any job center);
- ``dq_assign(person_id, s, e, caseworker_id, team_id)``: the caseload, open end as 9999-12-31.

See docs/dqm.md for the reading of each rule where the programme's words leave room.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = {"fehler": "Fehler", "warnung": "Warnung", "hinweis": "Hinweis"}
RESPONSIBLE = {
    "ifk": "Integrationsfachkraft",
    "team": "Team (Teamleitung)",
    "leistung": "Leistungsbereich (über das Team)",
}

AMIP_2022 = "AMIP 2022 Jobcenter Elbe-Elster, Kap. 5.2 (Datenqualität in Allegro)"
LATE_CHANGE_MONTHS = 3
INTERRUPTION_DAYS = 14
CLOSURE_DAYS = 30
INTEGRATION_MONTHS = 3


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    source: str
    severity: str  # key of SEVERITIES
    responsible: str  # key of RESPONSIBLE
    needs: tuple[str, ...]  # warehouse tables the query reads
    sql: str
    # Rates are shown only for months whose findings are complete at the cut-off: a defect of
    # month m can still appear up to ``settle`` months later (e.g. DQ01: a change is late only
    # 3 months after it happened). ``last_month_only``: the rule checks the last month alone.
    settle: int = 0
    last_month_only: bool = False


def _d(expr: str) -> str:
    """German date text of a DATE expression."""
    return f"strftime({expr}, '%d.%m.%Y')"


RULES: tuple[Rule, ...] = (
    Rule(
        "DQ01",
        "Änderung verspätet erfasst",
        f"Eine relevante Änderung in den Verhältnissen wurde mehr als {LATE_CHANGE_MONTHS} Monate nach ihrem "
        f"Eintritt erfasst (Erfassungsdatum später als Ereignisdatum + {LATE_CHANGE_MONTHS} Monate). "
        "Monat des Befunds: Monat der Änderung.",
        f"{AMIP_2022}: „relevante Änderungen innerhalb des 3-Monats-Zeitraumes erfassen“",
        "fehler",
        "leistung",
        ("case_events",),
        f"""
        SELECT person_id, event_date AS anchor,
               'Änderung vom ' || {_d("event_date")} || ' am ' || {_d("recorded_date")} || ' erfasst ('
                 || (recorded_date - event_date) || ' Tage)' AS detail
        FROM case_events
        WHERE event_type = 'aenderung' AND event_date <= $cutoff
          AND recorded_date > event_date + INTERVAL {LATE_CHANGE_MONTHS} MONTH
        """,
        settle=3,
    ),
    Rule(
        "DQ02",
        "Unterbrechung ohne Information der IFK",
        "Eine Leistungsunterbrechung, über die die zuständige Integrationsfachkraft nicht informiert werden "
        "konnte: sie wurde erst mehr als 14 Tage nach ihrem Eintritt erfasst (die IFK erfährt sie über die "
        "Erfassung), oder am letzten Leistungstag war keine IFK zuständig, oder sie ist im ELB-Bestand nicht "
        "abgebildet (kein Ende des Leistungsbezugs in den 14 Tagen um das Ereignis). "
        "Monat des Befunds: Monat der Unterbrechung.",
        f"{AMIP_2022}: „Leistungsunterbrechungen korrekt abbilden und die zuständige Integrationsfachkraft "
        "darüber informieren“",
        "warnung",
        "leistung",
        ("case_events", "caseload"),
        f"""
        WITH u AS (
            SELECT person_id, event_date, max(recorded_date) AS recorded_date
            FROM case_events WHERE event_type = 'unterbrechung' AND event_date <= $cutoff
            GROUP BY person_id, event_date
        ), checked AS (
            SELECT u.*,
                   u.recorded_date > u.event_date + {INTERRUPTION_DAYS} AS late,
                   NOT EXISTS (SELECT 1 FROM dq_assign a WHERE a.person_id = u.person_id
                               AND a.s <= u.event_date - 1 AND a.e >= u.event_date - 1) AS no_ifk,
                   NOT EXISTS (SELECT 1 FROM dq_stretches t WHERE t.person_id = u.person_id
                               AND t.e BETWEEN u.event_date - {INTERRUPTION_DAYS + 1}
                                           AND u.event_date + {INTERRUPTION_DAYS - 1}) AS unmapped
            FROM u
        )
        SELECT person_id, event_date AS anchor,
               'Unterbrechung ab ' || {_d("event_date")} || ': ' || concat_ws('; ',
                   CASE WHEN late THEN 'erst nach ' || (recorded_date - event_date) || ' Tagen erfasst' END,
                   CASE WHEN no_ifk THEN 'keine zuständige IFK am letzten Leistungstag' END,
                   CASE WHEN unmapped THEN 'kein Ende des Leistungsbezugs im ELB-Bestand' END) AS detail
        FROM checked WHERE late OR no_ifk OR unmapped
        """,
        settle=1,
    ),
    Rule(
        "DQ03",
        "Fall verspätet abgeschlossen",
        f"Der ELB-Bezug endete (und begann nicht innerhalb von {CLOSURE_DAYS} Tagen neu), die Zuständigkeit "
        f"(Fallbestand der IFK) war aber {CLOSURE_DAYS} Tage nach dem Ende noch offen. "
        "Monat des Befunds: Monat des ersten Tages ohne Leistungsbezug.",
        f"{AMIP_2022}: „Fallabschlüsse zeitlich korrekt erfassen“",
        "warnung",
        "team",
        ("caseload",),
        f"""
        WITH ended AS (
            SELECT t.person_id, t.e FROM dq_stretches t
            WHERE t.e < DATE '9999-12-31' AND t.e + {CLOSURE_DAYS + 1} <= $cutoff
              AND NOT EXISTS (SELECT 1 FROM dq_stretches n WHERE n.person_id = t.person_id
                              AND n.s > t.e AND n.s <= t.e + {CLOSURE_DAYS + 1})
        )
        SELECT d.person_id, d.e + 1 AS anchor,
               'ELB-Bezug endete am ' || {_d("d.e")} || '; Zuständigkeit am ' || {_d(f"d.e + {CLOSURE_DAYS + 1}")}
                 || ' noch offen' AS detail
        FROM ended d
        WHERE EXISTS (SELECT 1 FROM dq_assign a WHERE a.person_id = d.person_id
                      AND a.s <= d.e AND a.e > d.e + {CLOSURE_DAYS})
        """,
        settle=2,
    ),
    Rule(
        "DQ04",
        "Integration gemeldet, Leistungsbezug läuft weiter",
        f"Eine Integration (Arbeitsaufnahme) wurde gemeldet, der ELB-Bezug lief aber ohne Unterbrechung mehr "
        f"als {INTEGRATION_MONTHS} Monate weiter (noch am Tag Integrationsdatum + {INTEGRATION_MONTHS} Monate im "
        "Bestand). Zu prüfen: Einkommen angerechnet, Integration zutreffend erfasst? "
        "Monat des Befunds: Monat der Integration.",
        "AMIP 2022 Jobcenter Elbe-Elster, Kap. 6 (Datenqualitätsmanagement); § 48a SGB II (K2 Integrationsquote)",
        "hinweis",
        "ifk",
        ("case_events",),
        f"""
        WITH i AS (
            SELECT DISTINCT person_id, event_date FROM case_events
            WHERE event_type = 'integration' AND event_date + INTERVAL {INTEGRATION_MONTHS} MONTH <= $cutoff
        )
        SELECT i.person_id, i.event_date AS anchor,
               'Integration am ' || {_d("i.event_date")} || ' gemeldet; ELB-Bezug ' ||
               CASE WHEN max(t.e) >= DATE '9999-12-31' THEN 'läuft weiter'
                    ELSE 'bis ' || {_d("max(t.e)")} END AS detail
        FROM i JOIN dq_stretches t ON t.person_id = i.person_id AND t.s <= i.event_date
             AND t.e >= i.event_date + INTERVAL {INTEGRATION_MONTHS} MONTH
        GROUP BY i.person_id, i.event_date
        """,
        settle=3,
    ),
    Rule(
        "DQ05",
        "ELB ohne gültige Prognose oder Integrationsziel",
        "Eine Person im ELB-Bestand am Stichtag des letzten Datenmonats hat keine Integrationsprognose, die "
        "Prognose „fehlt“, oder bei einer Prognose marktnah/nicht marktnah ist kein konkretes Integrationsziel "
        "dokumentiert. Monat des Befunds: letzter Datenmonat.",
        "AMIP 2022 Jobcenter Elbe-Elster, Kap. 6 (Datenqualitätsmanagement, Fachaufsicht); "
        "Integrationsprognose nach den Seed-Tabellen (marktnah, nicht marktnah, I, Z, X)",
        "fehler",
        "ifk",
        ("prognosis",),
        """
        WITH stock AS (
            SELECT DISTINCT person_id FROM dq_spells WHERE s <= $cutoff AND e >= $cutoff
        ), p AS (
            SELECT person_id, arg_max(code, valid_from) AS code, arg_max(integration_goal, valid_from) AS goal
            FROM prognosis WHERE valid_from <= $cutoff GROUP BY person_id
        )
        SELECT s.person_id, $cutoff::DATE AS anchor,
               CASE WHEN p.code IS NULL THEN 'keine Integrationsprognose'
                    WHEN p.code = 'fehlt' THEN 'Integrationsprognose fehlt (X)'
                    ELSE 'kein dokumentiertes Integrationsziel (Prognose '
                         || replace(p.code, '_', ' ') || ')' END AS detail
        FROM stock s LEFT JOIN p USING (person_id)
        WHERE p.code IS NULL OR p.code = 'fehlt'
           OR (p.code IN ('marktnah', 'nicht_marktnah') AND NOT coalesce(p.goal, false))
        """,
        last_month_only=True,
    ),
    Rule(
        "DQ06",
        "ELB-Zeiträume in zwei Jobcentern überschneiden sich",
        "Für dieselbe Person überschneiden sich ELB-Zeiträume zweier Jobcenter (Doppelbezug oder "
        "nicht beendete Zuständigkeit nach Umzug). Monat des Befunds: Monat des ersten gemeinsamen Tages.",
        "§ 36 SGB II (örtliche Zuständigkeit); AMIP 2022 Jobcenter Elbe-Elster, Kap. 6 (DQM)",
        "fehler",
        "leistung",
        (),
        f"""
        SELECT a.person_id, greatest(a.s, b.s) AS anchor,
               string_agg(DISTINCT 'ELB in ' || a.jobcenter_id || ' und ' || b.jobcenter_id || ' ab '
                   || {_d("greatest(a.s, b.s)")} || ' (' || (least(a.e, b.e, $cutoff::DATE) - greatest(a.s, b.s) + 1)
                   || ' Tage)', '; ') AS detail
        FROM dq_spells a JOIN dq_spells b ON a.person_id = b.person_id AND a.jobcenter_id < b.jobcenter_id
             AND a.s <= b.e AND b.s <= a.e
        WHERE greatest(a.s, b.s) <= $cutoff
        GROUP BY a.person_id, greatest(a.s, b.s)
        """,
    ),
    Rule(
        "DQ07",
        "Fallabschluss verspätet erfasst",
        f"Ein Fallabschluss wurde mehr als {CLOSURE_DAYS} Tage nach seinem Eintritt erfasst. "
        "Monat des Befunds: Monat des Abschlusses.",
        f"{AMIP_2022}: „Fallabschlüsse zeitlich korrekt erfassen“",
        "warnung",
        "leistung",
        ("case_events",),
        f"""
        SELECT person_id, event_date AS anchor,
               'Fallabschluss vom ' || {_d("event_date")} || ' erst nach ' || max(recorded_date - event_date)
                 || ' Tagen erfasst' AS detail
        FROM case_events
        WHERE event_type = 'abschluss' AND event_date <= $cutoff AND recorded_date > event_date + {CLOSURE_DAYS}
        GROUP BY person_id, event_date
        """,
        settle=2,
    ),
)

RULE_BY_ID = {r.id: r for r in RULES}
