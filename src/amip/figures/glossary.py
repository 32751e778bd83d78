"""What the cockpit says about each figure and count, in plain German.

The rules themselves live in ``amip.kennzahlen`` (one definition per figure); this module only
explains them to the reader and says which direction is favourable (for rankings and colours).
"""

from __future__ import annotations

from dataclasses import dataclass

from amip.kennzahlen import FIGURES

HEADLINE = ("K1", "K2", "K3")
SEXES = {"all": "Insgesamt", "w": "Frauen", "m": "Männer"}
SIDES = {"numerator": "Zähler", "denominator": "Nenner"}
UNIT_KINDS = {"office": "Geschäftsstelle", "team": "Team"}


@dataclass(frozen=True)
class Explanation:
    short: str  # tile / column heading
    definition: str  # plain German, one or two sentences
    higher_is_better: bool
    kind: str = "Quote"  # "Veränderungsrate" | "Quote" | "Durchschnittsrate" | "Anteil"
    # What changed with a rules version (shown under the definition), so a reader who compares
    # with an older export knows why the value moved.
    change: str = ""


EXPLANATIONS: dict[str, Explanation] = {
    "K1": Explanation(
        "Leistungen zum Lebensunterhalt",
        "Veränderung der Summe der Leistungen zum Lebensunterhalt (Regelbedarf, Sozialgeld, Mehrbedarfe, "
        "einmalige Leistungen) im Monat gegenüber dem Vorjahresmonat, in Prozent.",
        higher_is_better=False,
        kind="Veränderungsrate",
    ),
    "K1E1": Explanation(
        "Leistungen für Unterkunft und Heizung",
        "Veränderung der Summe der Leistungen für Unterkunft und Heizung im Monat gegenüber dem "
        "Vorjahresmonat, in Prozent.",
        higher_is_better=False,
        kind="Veränderungsrate",
    ),
    "K1E2": Explanation(
        "Zahl der ELB",
        "Veränderung der Zahl der erwerbsfähigen Leistungsberechtigten (ELB) am Monatsende gegenüber dem "
        "Vorjahresmonat, in Prozent.",
        higher_is_better=False,
        kind="Veränderungsrate",
    ),
    "K1E3": Explanation(
        "Zugangsrate ELB",
        "Zugänge in den Leistungsbezug der letzten zwölf Monate je 100 ELB am Monatsende, über dieselben "
        "zwölf Monate summiert (bestandsgewichteter Durchschnitt der Monatsraten). Jeder Zugang zählt, auch "
        "zwei Zugänge einer Person im selben Monat; ein Wechsel des Jobcenters ist beim neuen Jobcenter ein "
        "Zugang.",
        higher_is_better=False,
        kind="Durchschnittsrate",
        change="Seit Regelversion 2 (Dezember 2026) ist der Zwölfmonatswert bestandsgewichtet: Summe der Zugänge geteilt durch die Summe der ELB-Bestände am Monatsende, mal 100, mit Zähler und Nenner; Regelversion 1 bildete das ungewichtete Mittel der zwölf Monatsraten (ohne Zähler und Nenner, leer bei einem Monat ohne Bestand). Ein Monat ohne Bestand trägt jetzt 0 zu Zähler und Nenner bei. "
        "Außerdem zählt jetzt jeder Zugang (Regelversion 1: höchstens einer je Person und Monat). "
        "Werte aus Exporten nach Regelversion 1 weichen deshalb ab, am stärksten bei kleinem oder "
        "schwankendem Bestand.",
    ),
    "K1E4": Explanation(
        "Abgangsrate ELB",
        "Abgänge aus dem Leistungsbezug der letzten zwölf Monate je 100 ELB am Ende des jeweiligen "
        "Vormonats, über dieselben zwölf Monate summiert (bestandsgewichteter Durchschnitt der Monatsraten). "
        "Jeder Abgang zählt, auch zwei Abgänge einer Person im selben Monat; ein Wechsel des Jobcenters ist "
        "beim alten Jobcenter ein Abgang.",
        higher_is_better=True,
        kind="Durchschnittsrate",
        change="Seit Regelversion 2 (Dezember 2026) ist der Zwölfmonatswert bestandsgewichtet: Summe der Abgänge geteilt durch die Summe der ELB-Bestände am Ende des Vormonats, mal 100, mit Zähler und Nenner; Regelversion 1 bildete das ungewichtete Mittel der zwölf Monatsraten (ohne Zähler und Nenner, leer bei einem Monat ohne Bestand). Ein Monat ohne Bestand trägt jetzt 0 zu Zähler und Nenner bei. "
        "Außerdem zählt jetzt jeder Abgang (Regelversion 1: höchstens einer je Person und Monat). "
        "Werte aus Exporten nach Regelversion 1 weichen deshalb ab.",
    ),
    "K2": Explanation(
        "Integrationsquote",
        "Summe der Integrationen (sozialversicherungspflichtige Beschäftigung, Ausbildung, Selbständigkeit) "
        "der letzten zwölf Monate je 100 ELB im Jahresdurchschnitt.",
        higher_is_better=True,
    ),
    "K2E1": Explanation(
        "Eintritte in geringfügige Beschäftigung",
        "Eintritte in geringfügige Beschäftigung der letzten zwölf Monate je 100 ELB im Jahresdurchschnitt.",
        higher_is_better=True,
    ),
    "K2E2": Explanation(
        "Eintritte in öffentlich geförderte Beschäftigung",
        "Eintritte in öffentlich geförderte Beschäftigung der letzten zwölf Monate je 100 ELB im Jahresdurchschnitt.",
        higher_is_better=True,
    ),
    "K2E3": Explanation(
        "Kontinuierliche Beschäftigung nach Integration",
        "Anteil der Integrationen in sozialversicherungspflichtige Beschäftigung (Monate M−17 bis M−6), "
        "die an den sechs folgenden Monatsenden ununterbrochen beschäftigt waren, in Prozent.",
        higher_is_better=True,
        kind="Anteil",
    ),
    "K2E4": Explanation(
        "Integrationsquote Alleinerziehende",
        "Integrationen Alleinerziehender der letzten zwölf Monate je 100 alleinerziehende ELB im Jahresdurchschnitt.",
        higher_is_better=True,
    ),
    "K3": Explanation(
        "Langzeitleistungsbeziehende",
        "Veränderung der Zahl der Langzeitleistungsbeziehenden (in den letzten 24 Monaten mindestens 21 "
        "Monate ELB, ab 17 Jahren) am Monatsende gegenüber dem Vorjahresmonat, in Prozent.",
        higher_is_better=False,
        kind="Veränderungsrate",
    ),
    "K3E1": Explanation(
        "Integrationsquote LZB",
        "Integrationen von Langzeitleistungsbeziehenden der letzten zwölf Monate je 100 "
        "Langzeitleistungsbeziehende im Jahresdurchschnitt.",
        higher_is_better=True,
    ),
    "K3E2": Explanation(
        "Aktivierungsquote LZB",
        "Anteil der Langzeitleistungsbeziehenden am Monatsende, die an diesem Tag an einer aktivierenden "
        "Maßnahme teilnehmen, in Prozent.",
        higher_is_better=True,
        kind="Anteil",
    ),
    "K3E3": Explanation(
        "Zugangsrate LZB",
        "Zugänge in den Langzeitleistungsbezug der letzten zwölf Monate je 100 Langzeitleistungsbeziehende "
        "am Monatsende, über dieselben zwölf Monate summiert (bestandsgewichteter Durchschnitt). Ein Zugang "
        "ist eine Person, die am Monatsende LZB im Jobcenter ist und am Ende des Vormonats in keinem "
        "Jobcenter LZB war: ein Wechsel des Jobcenters als LZB ist kein Zugang.",
        higher_is_better=False,
        kind="Durchschnittsrate",
        change="Seit Regelversion 2 (Dezember 2026) ist der Zwölfmonatswert bestandsgewichtet: Summe der Zugänge geteilt durch die Summe der LZB-Bestände am Monatsende, mal 100, mit Zähler und Nenner; Regelversion 1 bildete das ungewichtete Mittel der zwölf Monatsraten (ohne Zähler und Nenner, leer bei einem Monat ohne Bestand). Ein Monat ohne Bestand trägt jetzt 0 zu Zähler und Nenner bei. "
        "Außerdem ist ein Wechsel zwischen Jobcentern als LZB kein Zugang mehr (Regelversion 1: ein "
        "Zugang beim neuen Jobcenter). Werte aus Exporten nach Regelversion 1 weichen deshalb ab.",
    ),
    "K3E4": Explanation(
        "Abgangsrate LZB",
        "Abgänge aus dem Langzeitleistungsbezug der letzten zwölf Monate je 100 Langzeitleistungsbeziehende "
        "am Ende des jeweiligen Vormonats, über dieselben zwölf Monate summiert (bestandsgewichteter "
        "Durchschnitt). Ein Abgang ist eine Person, die am Ende des Vormonats LZB im Jobcenter war und am "
        "Monatsende in keinem Jobcenter LZB ist: ein Wechsel des Jobcenters als LZB ist kein Abgang.",
        higher_is_better=True,
        kind="Durchschnittsrate",
        change="Seit Regelversion 2 (Dezember 2026) ist der Zwölfmonatswert bestandsgewichtet: Summe der Abgänge geteilt durch die Summe der LZB-Bestände am Ende des Vormonats, mal 100, mit Zähler und Nenner; Regelversion 1 bildete das ungewichtete Mittel der zwölf Monatsraten (ohne Zähler und Nenner, leer bei einem Monat ohne Bestand). Ein Monat ohne Bestand trägt jetzt 0 zu Zähler und Nenner bei. "
        "Außerdem ist ein Wechsel zwischen Jobcentern als LZB kein Abgang mehr (Regelversion 1: ein "
        "Abgang beim alten Jobcenter). Werte aus Exporten nach Regelversion 1 weichen deshalb ab.",
    ),
    # Steering figures beyond § 48a (amip.kennzahlen.steering; not in available_figures()).
    "S1": Explanation(
        "ELB im Jahresdurchschnitt",
        "Durchschnittliche Zahl der erwerbsfähigen Leistungsberechtigten (ELB) an den zwölf Monatsenden des "
        "Kalenderjahres (Jahresdurchschnittswert, JDW).",
        higher_is_better=False,
        kind="Anzahl",
    ),
    "S2": Explanation(
        "Anteil Langzeitleistungsbeziehender",
        "Anteil der Langzeitleistungsbeziehenden an allen ELB am Monatsende, in Prozent.",
        higher_is_better=False,
        kind="Anteil",
    ),
    # The extended monitoring of the 2020 programme (S3 - S6; rules version 2).
    "S3": Explanation(
        "Nachhaltige Integrationen",
        "Anteil der Integrationen (sozialversicherungspflichtig, Ausbildung oder selbständig) aus den Monaten "
        "23 bis 12 Monate vor dem Berichtsmonat, nach denen die Person an jedem der zwölf folgenden Monatsenden "
        "in einer solchen Beschäftigung war, in Prozent.",
        higher_is_better=True,
        kind="Anteil",
    ),
    "S4": Explanation(
        "Bedarfsdeckende Integrationen",
        "Anteil der Integrationen aus den Monaten 14 bis 3 Monate vor dem Berichtsmonat, nach denen die Person "
        "an den drei folgenden Monatsenden in keinem Jobcenter mehr Leistungen bezog, in Prozent.",
        higher_is_better=True,
        kind="Anteil",
    ),
    "S5": Explanation(
        "Integrationsquote LZB mit mindestens vier Jahren Bezug",
        "Integrationen der letzten zwölf Monate von Langzeitleistungsbeziehenden, die in den vier Jahren vor dem "
        "Vormonatsende an mindestens 1 277 von 1 460 Tagen Leistungen bezogen, je 100 solcher Personen im "
        "Jahresdurchschnitt.",
        higher_is_better=True,
        kind="Quote",
    ),
    "S6": Explanation(
        "LZB im Jahresdurchschnitt",
        "Durchschnittliche Zahl der Langzeitleistungsbeziehenden an den zwölf Monatsenden des Kalenderjahres "
        "(Jahresdurchschnittswert, JDW); die Grundlage des LZB-Ziels in der Zielplanung.",
        higher_is_better=False,
        kind="Anzahl",
    ),
    "L1": Explanation(
        "ELB mit konkretem Integrationsziel",
        "Anteil der ELB am Monatsende, deren an diesem Tag gültige Integrationsprognose ein konkretes, "
        "realistisches Integrationsziel enthält, in Prozent (Ziel: mindestens 90 %).",
        higher_is_better=True,
        kind="Anteil",
    ),
    "L2": Explanation(
        "Erfolgreiche Vermittlungsvorschläge",
        "Anteil der Vermittlungsvorschläge der letzten zwölf Monate für Personen im ELB-Bestand, die zu "
        "einer Einstellung geführt haben, in Prozent (Ziel: 5,0 %).",
        higher_is_better=True,
        kind="Anteil",
    ),
    "L3": Explanation(
        "Besetzte Stellen bei KMU",
        "Zahl der Vermittlungsvorschläge der letzten zwölf Monate, die zu einer Einstellung bei einem "
        "Arbeitgeber mit weniger als 250 Beschäftigten geführt haben, ohne Personaldienstleister.",
        higher_is_better=True,
        kind="Anzahl",
    ),
}

# The monthly counts of the engine's series (drill-down building blocks).
COUNTS = {
    "stock": "ELB am Monatsende",
    "lzb": "Langzeitleistungsbeziehende am Monatsende",
    "sp": "Alleinerziehende ELB am Monatsende",
    "lzb_active": "LZB in aktivierender Maßnahme am Monatsende",
    "entries": "Zugänge in den Leistungsbezug",
    "exits": "Abgänge aus dem Leistungsbezug",
    "lzb_entries": "Zugänge in den Langzeitleistungsbezug",
    "lzb_exits": "Abgänge aus dem Langzeitleistungsbezug",
    "int": "Integrationen",
    "int_sp": "Integrationen Alleinerziehender",
    "int_lzb": "Integrationen von LZB",
    "gb": "Eintritte in geringfügige Beschäftigung",
    "pub": "Eintritte in öffentlich geförderte Beschäftigung",
    "svb_int": "Integrationen in sv-pflichtige Beschäftigung",
    "svb_cont": "davon kontinuierlich beschäftigt",
    "llu": "Leistungen zum Lebensunterhalt (EUR)",
    "luh": "Leistungen für Unterkunft und Heizung (EUR)",
    # the persons behind the extended monitoring S3 - S5 (by integration month; lzb48 by month)
    "ext_int": "Integrationen (Erweitertes Monitoring)",
    "s3": "Nachhaltige Integrationen",
    "s4": "Bedarfsdeckende Integrationen",
    "s5": "Integrationen von LZB mit mindestens vier Jahren Leistungsbezug",
    "lzb48": "LZB mit mindestens vier Jahren Leistungsbezug am Monatsende",
}

PROGNOSIS = {
    "marktnah": "marktnah",
    "nicht_marktnah": "nicht marktnah",
    "integriert": "integriert (I)",
    "nicht_erforderlich": "Integration nicht erforderlich (Z)",
    "fehlt": "fehlt (X)",
}

TITLES = {f.id: f.title for f in FIGURES}
PERSON_BASED = {f.id: f.person_based for f in FIGURES}
# The steering figures shown by name (P1, P1J, E1 and B1 rows are read by their full ids).
STEERING = ("S1", "S2", "S3", "S4", "S5", "S6", "L1", "L2", "L3")
TITLES.update(
    {
        "S1": "ELB, Jahresdurchschnittswert (JDW)",
        "S2": "Anteil der Langzeitleistungsbeziehenden an den ELB",
        "S3": "Nachhaltige Integrationen (zwölf Monate in Beschäftigung)",
        "S4": "Bedarfsdeckende Integrationen (drei Monate ohne Leistungsbezug)",
        "S5": "Integrationsquote der LZB mit mindestens vier Jahren Leistungsbezug",
        "S6": "Langzeitleistungsbeziehende, Jahresdurchschnittswert (JDW)",
        "L1": "Anteil der ELB mit konkretem, realistischem Integrationsziel",
        "L2": "Anteil erfolgreicher Vermittlungsvorschläge",
        "L3": "Besetzte Stellen bei kleinen und mittleren Arbeitgebern ohne Personaldienstleister",
    }
)
PERSON_BASED.update({f: True for f in STEERING})
