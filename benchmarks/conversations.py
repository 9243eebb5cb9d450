"""Deterministic generator of long synthetic sales conversations with known objection themes.

Used by the ingest, objection and review benchmarks and as held-out evaluation data: the phrasing
pools below are written separately from `corpus/notes`, so scores on this data are not tuned on it.
Standard library only; the same `seed` always gives the same conversations.

    python benchmarks/conversations.py --out /tmp/calls.csv --n 1000 [--seed 0]
"""

# The phrase pools are data: long sentences stay on one line so each one reads as written.
# ruff: noqa: E501
from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

THEMES = (
    "price",
    "security",
    "erp_integration",
    "implementation_time",
    "switching_cost",
    "budget_timing",
    "vendor_trust",
    "approval_workflows",
    "support_language",
    "contract_terms",
)
# How often a conversation raises each theme (relative weights), and how much it pushes towards a loss.
THEME_WEIGHT = {
    "price": 34, "security": 26, "erp_integration": 23, "implementation_time": 15, "switching_cost": 13,
    "budget_timing": 12, "vendor_trust": 8, "approval_workflows": 7, "support_language": 4, "contract_terms": 3,
}  # fmt: skip
LOSS_PUSH = {
    "price": 0.12, "security": 0.30, "erp_integration": 0.12, "implementation_time": 0.30, "switching_cost": 0.08,
    "budget_timing": 0.0, "vendor_trust": 0.35, "approval_workflows": -0.05, "support_language": 0.05,
    "contract_terms": 0.05,
}  # fmt: skip
GERMAN_SHARE = 0.2
COLUMNS = ["Call ID", "Account", "Owner", "Date", "Stage", "Segment", "Product", "Notes"]

REPS = ["Jana Weber", "Tom Becker", "Priya Nair", "Lukas Hoffmann", "Sophie Martin", "Daniel Okafor", "Mia Schröder"]
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
PRODUCTS = ["Corvane Flow", "Corvane Spend", "Corvane Close"]
COMPETITORS = ["Payzio", "Ledgermate", "Billvo"]
OPEN_STAGES = ["Discovery", "Qualification", "Proposal", "Negotiation"]
FIRST_NAMES = {
    "en": ["Alex", "Jordan", "Sam", "Taylor", "Chris", "Morgan", "Jamie", "Robin", "Casey", "Avery", "Leah", "Owen"],
    # German calls use "Sie" with the surname.
    "de": [
        "Frau Krüger",
        "Herr Brandl",
        "Frau Yilmaz",
        "Herr Lorenz",
        "Frau Seidel",
        "Herr Wolff",
        "Frau Haas",
        "Herr Nowak",
        "Frau Pohl",
        "Herr Sommer",
        "Frau Jung",
        "Herr Böhm",
    ],
}
ACCOUNT_PARTS = {
    "en": (
        [
            "Bright",
            "North",
            "Stone",
            "River",
            "Oak",
            "Summit",
            "Harbour",
            "Copper",
            "Maple",
            "Falcon",
            "Granite",
            "Willow",
        ],
        ["field", "bridge", "gate", "wood", "point", "line", "stone", "haven", "crest", "ford"],
        ["Logistics", "Foods", "Health", "Retail", "Engineering", "Media", "Hotels", "Labs", "Partners", "Supply"],
        ["Ltd", "Inc", "LLC", "Group", "plc"],
    ),
    "de": (
        ["Nord", "Süd", "Berg", "Wald", "Stein", "Linden", "Eichen", "Rhein", "Elb", "Donau", "Falken", "Sonnen"],
        ["feld", "hof", "bach", "tal", "brück", "werk", "haus", "hain", "au", "burg"],
        ["Logistik", "Bau", "Handel", "Technik", "Medien", "Pflege", "Metall", "Versand", "Elektro", "Immobilien"],
        ["GmbH", "AG", "GmbH & Co. KG", "KG", "SE"],
    ),
}
ERPS = {
    "Corvane Flow": [
        "SAP S/4HANA",
        "SAP ECC",
        "SAP Business One",
        "DATEV",
        "NetSuite",
        "Dynamics 365 Business Central",
        "Dynamics NAV",
        "Sage 200",
        "Xero",
    ],
    "Corvane Spend": ["DATEV", "Xero", "NetSuite", "Sage 50", "Dynamics 365 Business Central", "QuickBooks Online"],
    "Corvane Close": ["SAP S/4HANA", "NetSuite", "Oracle Fusion", "Dynamics 365 Finance", "Sage Intacct", "SAP ECC"],
}
SPEAKERS = {"en": ("Rep", "Prospect"), "de": ("Vertrieb", "Kunde")}

# --- Customer objections: many phrasings per theme, with slots -----------------------------------
OBJECTIONS: dict[str, dict[str, list[str]]] = {
    "price": {
        "en": [
            "Honestly the number in your quote made our CFO laugh. {competitor} is roughly {pct}% below you.",
            "I can't see how I'd justify paying {pct} percent more than {competitor} for what looks like the same thing.",
            "We'd have {n} people in the system. At your per-seat rate that's more than our ERP licence.",
            "Is there any room on the pricing? As it stands it's outside what I can sign off on.",
            "My worry is cost creep. You start cheap and then every module is another line on the invoice.",
            "{competitor} offered us the first year at half price. Can you get anywhere near that?",
            "For a company our size the annual fee feels heavy, to be blunt.",
            "Why does every user need a paid licence? Most of them click approve twice a month.",
            "Our board will compare this with {competitor} line by line, and right now you lose on price.",
            "What you're asking per transaction doesn't work with our volumes, it scales the wrong way.",
            "I like the product, I just don't like the invoice that comes with it.",
            "We pay {amount} a year for our whole finance stack. You alone would be close to that.",
        ],
        "de": [
            "Ehrlich gesagt liegen Sie rund {pct} Prozent über {competitor}, und das muss ich intern begründen.",
            "Bei {n} Nutzern wird das mit Ihrer Lizenz pro Kopf richtig teuer.",
            "Ist beim Preis noch etwas möglich? So bekomme ich das nicht durch die Geschäftsführung.",
            "{competitor} hat uns ein deutlich günstigeres Angebot gemacht, fast zum halben Preis.",
            "Für einen Betrieb unserer Größe ist die Jahresgebühr einfach zu hoch.",
            "Warum soll ich für jeden Freigeber eine volle Lizenz bezahlen?",
            "Mir ist das Preis-Leistungs-Verhältnis noch nicht klar, gegenüber {competitor} sind Sie teuer.",
        ],
    },
    "security": {
        "en": [
            "Our {role} has a hard rule: nothing financial goes to a US-hosted service. Where do you host?",
            "Before anything else, I need your {cert} report. Without it the security questionnaire goes nowhere.",
            "Can anyone on your side see our invoices? Our {role} will ask that first.",
            "We failed two vendors on data residency this year. I'd hate for you to be the third.",
            "GDPR is a big deal for us, half our invoices carry personal data. How do you handle that?",
            "Which subprocessors touch our data, and are any of them outside the EU?",
            "Our {role} told me flat out that a cloud tool without {cert} is a non-starter.",
            "I'm not worried about the features, I'm worried about getting this through the security review.",
            "If there's ever a breach on your side, what happens, and how fast would we know?",
            "Our parent company's security team has vetoed cloud finance tools before. What makes you different?",
        ],
        "de": [
            "Unser {role} fragt als Erstes, wo die Daten liegen. Bei einem US-Anbieter ist das Gespräch sofort vorbei.",
            "Haben Sie ein {cert}-Zertifikat? Ohne das kommen Sie bei unserer IT-Sicherheit nicht weiter.",
            "Die DSGVO ist bei uns ein großes Thema, auf vielen Belegen stehen personenbezogene Daten.",
            "Welche Unterauftragnehmer haben Zugriff auf unsere Daten, und sitzt einer davon außerhalb der EU?",
            "Ich fürchte, unsere Informationssicherheit wird eine Cloud-Lösung für Finanzdaten ablehnen.",
            "Kann bei Ihnen jemand unsere Rechnungen einsehen? Das will unser {role} genau wissen.",
        ],
    },
    "erp_integration": {
        "en": [
            "Does this actually write back into {erp}, or are we exporting files every night?",
            "We run {erp}, and I've heard 'we integrate' from four vendors who then didn't.",
            "Our {erp} is pretty customised. I'd be surprised if a standard connector copes with it.",
            "What happens when the sync to {erp} fails? Last time nobody noticed for a week.",
            "Is {erp} a real, certified connector or something on the roadmap?",
            "We have {entities} entities in {erp}. Can your connector keep them apart?",
            "My controllers don't want a second source of truth next to {erp}. Will the numbers always match?",
            "Our {erp} partner charges for every interface. Do we need them for this?",
            "I need to know the {erp} integration handles purchase orders, not just invoices.",
        ],
        "de": [
            "Geht das direkt in {erp}, oder schieben wir am Ende wieder CSV-Dateien hin und her?",
            "Wir haben {erp} mit vielen Eigenentwicklungen. Ob Ihr Standardkonnektor das kann, bezweifle ich.",
            "Wenn die Übertragung nach {erp} hakt, wer merkt das, und wer repariert das?",
            "Unser {erp}-Partner verlangt für jede Schnittstelle ein eigenes Projekt. Brauchen wir den dafür?",
            "Wir arbeiten mit {erp}. Gibt es dafür wirklich eine fertige Anbindung?",
            "Bei {entities} Gesellschaften in {erp} habe ich Zweifel, dass die Zuordnung sauber klappt.",
        ],
    },
    "implementation_time": {
        "en": [
            "The last finance system we rolled out took {months} months. I'm not doing that again.",
            "Who does the implementation work? Our IT team is booked solid until next year.",
            "Be honest with me about the rollout. Every vendor says weeks and it ends up being quarters.",
            "My team is already stretched. How many hours a week will this take from them?",
            "We don't have an IT department, it's one contractor. Is that enough to get this running?",
            "Our previous tool took {months} months to go live and two consultants. That's my reference point.",
            "I can't afford a big-bang project in the middle of year-end.",
            "What does go-live actually require from us? I need it in hours, not in slogans.",
        ],
        "de": [
            "Unser letztes Softwareprojekt lief {months} Monate. So etwas wiederholen wir nicht.",
            "Wer macht die Einrichtung? Unsere IT hat dieses Jahr keine freie Kapazität.",
            "Wie lange dauert es realistisch, bis wir produktiv sind? Alle versprechen Wochen, am Ende sind es Monate.",
            "Wir haben keinen eigenen IT-Mitarbeiter. Schaffen wir das überhaupt?",
            "Wie viele Stunden muss mein Team für die Einführung einplanen?",
        ],
    },
    "switching_cost": {
        "en": [
            "We've got {years} years of history in {tool}. Moving that over sounds painful.",
            "My team has used {tool} forever. Getting them to change habits is the real challenge.",
            "We only just trained everyone on {tool} last year. Another change now would go down badly.",
            "Who re-enters our {n} suppliers? Because my team won't.",
            "I'm worried about running two systems side by side during the switch.",
            "Honestly {tool} works well enough. The pain of switching might be bigger than the gain.",
            "Two people on my team think this will replace them. How do I handle that?",
        ],
        "de": [
            "Wir haben {years} Jahre Daten in {tool}. Das alles umzuziehen, ist ein Riesenaufwand.",
            "Mein Team arbeitet seit Jahren mit {tool}. Die Umstellung wird schwierig.",
            "Alle Lieferanten noch einmal anlegen? Das macht bei uns keiner.",
            "Wir haben gerade erst alle auf {tool} geschult. Schon wieder etwas Neues, das trägt keiner mit.",
            "Ich habe Sorge, dass wir monatelang zwei Systeme parallel pflegen.",
        ],
    },
    "budget_timing": {
        "en": [
            "Realistically there's no budget until {quarter}.",
            "Spend is frozen across the group until the audit is done.",
            "This would need to go into next year's plan, which we submit in {month}.",
            "We blew this year's software budget on the ERP upgrade.",
            "I can't sign anything before the board meeting in {month}.",
            "Timing is the problem, not the product. Talk to me again in {quarter}.",
        ],
        "de": [
            "Budget gibt es bei uns frühestens ab {quarter_de}.",
            "Das Budget ist eingefroren, bis der Jahresabschluss durch ist.",
            "Das muss in die Planung fürs nächste Geschäftsjahr, die machen wir im {month_de}.",
            "Vor der Beiratssitzung im {month_de} darf ich nichts unterschreiben.",
            "Inhaltlich passt es, aber dieses Jahr ist kein Geld mehr da.",
        ],
    },
    "vendor_trust": {
        "en": [
            "I'd never heard of Corvane until last month. How do I know you're the real deal?",
            "You're a young company. Convince me you'll be around in three years.",
            "If you get acquired or go under, what happens to our data?",
            "Can I speak to a customer in our industry who's been with you for a while?",
            "Our board prefers established vendors. What would I tell them about you?",
        ],
        "de": [
            "Von Corvane habe ich vorher nie gehört. Wie kann ich prüfen, ob Sie ein solider Anbieter sind?",
            "Sie sind noch sehr jung am Markt. Gibt es Sie in drei Jahren noch?",
            "Was passiert mit unseren Daten, wenn Sie übernommen werden oder aufhören?",
            "Haben Sie Referenzkunden aus unserer Branche, die ich anrufen kann?",
        ],
    },
    "approval_workflows": {
        "en": [
            "Our approvals are messy: {entities} entities, each with its own limits, and four-eyes on everything above {amount}.",
            "Can the approval chain depend on cost centre and amount at the same time?",
            "Some invoices need three sign-offs, and the third approver depends on the project. Can you model that?",
            "Our auditors insist the preparer and the approver are never the same person. Is that enforced?",
        ],
        "de": [
            "Bei uns gilt das Vier-Augen-Prinzip ab {amount}, und jede der {entities} Gesellschaften hat eigene Regeln.",
            "Manche Rechnungen brauchen drei Freigaben. Bekommen Sie das abgebildet?",
            "Kann die Freigabe gleichzeitig von Kostenstelle und Betrag abhängen?",
        ],
    },
    "support_language": {
        "en": [
            "When something goes wrong, do I get a person or a ticket number?",
            "Half my team isn't comfortable in English. Is support available in their language?",
            "What response times do you commit to? Our last vendor took days.",
        ],
        "de": [
            "Gibt es den Support auf Deutsch, oder lande ich in einem englischen Callcenter?",
            "Wie schnell reagiert Ihr Support, wenn bei uns etwas klemmt?",
            "Ist bei Problemen auch am Wochenende jemand erreichbar?",
        ],
    },
    "contract_terms": {
        "en": [
            "A {years}-year minimum term is a deal-breaker for us. We need an exit.",
            "I'm wary of auto-renewal clauses. We got stuck with a vendor that way before.",
            "What are the cancellation terms if it doesn't work out?",
        ],
        "de": [
            "Eine Mindestlaufzeit von {years} Jahren unterschreibe ich nicht.",
            "Automatische Vertragsverlängerung ist bei uns ein No-Go. Wie kommen wir da raus?",
            "Welche Kündigungsfristen gelten, falls es nicht passt?",
        ],
    },
}
PREAMBLES = {
    "en": [
        "",
        "",
        "",
        "Can I be blunt? ",
        "One thing that bothers me. ",
        "Look, ",
        "Before we go further: ",
        "To be fair, ",
        "Here's my concern. ",
    ],
    "de": ["", "", "", "Ganz offen: ", "Eine Sache stört mich. ", "Bevor wir weitermachen: ", "Ehrlich gesagt: "],
}

# --- Seller answers: concrete (tends to win) and vague (tends to lose) ----------------------------
ANSWERS: dict[str, dict[str, dict[str, list[str]]]] = {
    "price": {
        "good": {
            "en": [
                "Approvers never cost anything, so you'd pay for {k} seats, not {n}. Let me show the maths on your volume.",
                "{competitor}'s figure leaves out PO matching. Add that and we're level; add the discounts you capture and we're cheaper.",
                "At your volume the early-payment discounts alone are worth about {amount} a year, more than the licence.",
            ],
            "de": [
                "Freigeber sind kostenlos, Sie zahlen also {k} Lizenzen, nicht {n}. Ich rechne es Ihnen gern vor.",
                "Bei {competitor} ist der Bestellabgleich extra. Rechnen Sie den dazu, liegen wir gleichauf.",
            ],
        },
        "weak": {
            "en": [
                "I hear you. Our product is premium and the value speaks for itself.",
                "Let me check with my manager whether there's any discount available.",
            ],
            "de": ["Verstehe. Wir sind eben ein Premiumprodukt.", "Ich frage intern nach einem Rabatt."],
        },
    },
    "security": {
        "good": {
            "en": [
                "Everything is hosted in Frankfurt, we're ISO 27001 certified, and I'll send the SOC 2 Type II report and our DPA today.",
                "No US hosting at all: Frankfurt data centres, EU-only subprocessors, and support access needs your approval per session.",
            ],
            "de": [
                "Alle Daten liegen in Frankfurt, wir sind ISO-27001-zertifiziert, und den AVV schicke ich Ihnen heute.",
                "Hosting nur in Frankfurt, alle Unterauftragnehmer in der EU, Supportzugriff nur nach Ihrer Freigabe.",
            ],
        },
        "weak": {
            "en": [
                "Security is very important to us, we use industry-standard encryption.",
                "Our certification is in progress, it should be done later this year.",
            ],
            "de": ["Sicherheit hat bei uns höchste Priorität.", "Die Zertifizierung ist in Arbeit."],
        },
    },
    "erp_integration": {
        "good": {
            "en": [
                "Our {erp} connector is certified and posts in real time; typical go-live with it is six weeks.",
                "For {erp} we sync vendors and POs both ways, and a failed posting raises an alert the same minute.",
            ],
            "de": [
                "Für {erp} haben wir einen zertifizierten Konnektor, die Buchungen gehen in Echtzeit rüber.",
                "Mit {erp} gleichen wir Lieferanten und Bestellungen in beide Richtungen ab, ohne Dateiexport.",
            ],
        },
        "weak": {
            "en": [
                "We have an open API, so in principle we can connect to anything.",
                "{erp} is on our roadmap, I'll check the timing.",
            ],
            "de": ["Über unsere API geht im Prinzip alles.", "{erp} steht auf der Roadmap."],
        },
    },
    "implementation_time": {
        "good": {
            "en": [
                "Typical go-live is four to six weeks. We do the configuration, your team needs about three hours a week, and I'll send a plan with named tasks.",
                "Your IT needs one day in total, for single sign-on. Everything else is on our side, with a fixed plan before you sign.",
            ],
            "de": [
                "Die Einführung dauert typischerweise vier bis sechs Wochen, wir richten ein, Ihr Team braucht etwa drei Stunden pro Woche.",
                "Ihre IT braucht insgesamt einen Tag. Den Rest übernehmen wir, mit festem Projektplan.",
            ],
        },
        "weak": {
            "en": [
                "It's really quick, most customers are up and running in no time.",
                "It depends on a lot of factors, hard to say upfront.",
            ],
            "de": ["Das geht ganz schnell.", "Das hängt von vielen Faktoren ab."],
        },
    },
    "switching_cost": {
        "good": {
            "en": [
                "We import your suppliers and open items for you; your archive can stay where it is.",
                "Make those two the admins and train them first. They set the rules; the system does the typing.",
            ],
            "de": [
                "Stammdaten und offene Posten importieren wir für Sie, das Archiv bleibt, wo es ist.",
                "Die Schulung dauert 30 Minuten, freigegeben wird per Klick in der E-Mail.",
            ],
        },
        "weak": {
            "en": ["Change is always hard, but people get used to it.", "Most teams figure it out quickly."],
            "de": ["Veränderung ist immer schwer.", "Daran gewöhnen sich die Leute."],
        },
    },
    "budget_timing": {
        "good": {
            "en": [
                "Then let's lock today's price for a {quarter} start, and I'll send a business case you can put in the plan."
            ],
            "de": [
                "Dann halten wir den Preis für einen Start im {quarter_de} fest, und ich schicke Ihnen eine Wirtschaftlichkeitsrechnung."
            ],
        },
        "weak": {
            "en": ["Okay, I'll follow up later then."],
            "de": ["Gut, dann melde ich mich später."],
        },
    },
    "vendor_trust": {
        "good": {
            "en": [
                "We're funded through 2027, work with over 400 finance teams, and every contract has a data return clause. I'll set up a reference call this week."
            ],
            "de": [
                "Wir sind bis 2027 finanziert, haben über 400 Kunden, und jeder Vertrag enthält eine Datenrückgabe-Klausel. Ich vermittle Ihnen ein Referenzgespräch."
            ],
        },
        "weak": {
            "en": ["We're growing fast, you don't need to worry about that."],
            "de": ["Wir wachsen stark, da müssen Sie sich keine Sorgen machen."],
        },
    },
    "approval_workflows": {
        "good": {
            "en": [
                "Rules are set per entity, by amount, cost centre and supplier, with as many steps as you need. Let me show you."
            ],
            "de": [
                "Regeln pro Gesellschaft, nach Betrag, Kostenstelle und Lieferant, beliebig viele Stufen. Ich zeige es Ihnen."
            ],
        },
        "weak": {
            "en": ["I think that should be possible, let me check with the team."],
            "de": ["Das müsste gehen, ich kläre das."],
        },
    },
    "support_language": {
        "good": {
            "en": [
                "Support sits in Berlin, answers in German and English within four business hours, and card emergencies are 24/7 by phone."
            ],
            "de": [
                "Der Support sitzt in Berlin, antwortet auf Deutsch innerhalb von vier Stunden, Kartennotfälle rund um die Uhr."
            ],
        },
        "weak": {
            "en": ["We have a help centre with lots of articles."],
            "de": ["Wir haben ein Hilfe-Center mit vielen Artikeln."],
        },
    },
    "contract_terms": {
        "good": {
            "en": ["We can do one year with a fixed renewal price, or three years with an exit after twelve months."],
            "de": [
                "Wir können ein Jahr mit festem Verlängerungspreis machen, oder drei Jahre mit Ausstieg nach zwölf Monaten."
            ],
        },
        "weak": {
            "en": ["Those are our standard terms, I'm afraid."],
            "de": ["Das sind leider unsere Standardbedingungen."],
        },
    },
}
ACKS = {
    "good": {
        "en": [
            "Okay, that's a better answer than I expected.",
            "Good, send me that in writing.",
            "That helps, thanks.",
            "Fair enough, that covers it.",
        ],
        "de": [
            "Gut, das hilft mir.",
            "Das klingt vernünftig, schicken Sie es mir schriftlich.",
            "Okay, damit kann ich arbeiten.",
        ],
    },
    "weak": {
        "en": ["Hm. I'm not sure that answers it.", "That's what everyone says.", "I'll need more than that."],
        "de": ["Hm, das beantwortet meine Frage nicht ganz.", "Das sagen alle.", "Das reicht mir so nicht."],
    },
}

# --- Small talk, pitches, neutral questions, closings ---------------------------------------------
GREETINGS = {
    "en": [
        (
            "Hi {first}, thanks for making the time today. Can you hear me all right?",
            "Loud and clear. Sorry, I'm a minute late, the meeting before ran over.",
        ),
        (
            "Morning {first}! Good to see you again. How was the week so far?",
            "Busy, but the good kind of busy. Thanks for asking.",
        ),
        (
            "Hey {first}, thanks for joining. Did the invite come through with the right link?",
            "It did, no drama for once.",
        ),
    ],
    "de": [
        (
            "Guten Tag {first}, schön, dass es heute klappt. Hören Sie mich gut?",
            "Ja, sehr gut. Entschuldigen Sie die kleine Verspätung, der Termin davor hat länger gedauert.",
        ),
        (
            "Guten Morgen {first}, danke für Ihre Zeit. Wie war Ihre Woche bisher?",
            "Voll, aber gut. Danke der Nachfrage.",
        ),
    ],
}
SMALL_TALK = {
    "en": [
        (
            "Did you get out anywhere nice at the weekend?",
            "Not bad, we finally fixed the garden fence. Very glamorous.",
        ),
        ("How was the trip to {city}?", "Good, though the train was late both ways, as usual."),
        ("How's the new office working out?", "Still finding where the coffee lives, but fine."),
        ("Did you survive quarter-end?", "Barely. Ask me again next week."),
        ("Is it as hot there as it is here?", "Worse, the air conditioning gave up yesterday."),
        (
            "I saw the news about your new site, congratulations.",
            "Thanks, it's been a long time coming. The team is thrilled.",
        ),
    ],
    "de": [
        ("Hatten Sie ein schönes Wochenende?", "Ja, danke, endlich mal ausgeschlafen."),
        ("Wie war die Reise nach {city_de}?", "Gut, nur die Bahn war wieder verspätet."),
        ("Wie läuft es mit dem Umzug ins neue Büro?", "Langsam, aber es wird."),
        ("Haben Sie den Monatsabschluss gut überstanden?", "Gerade so, fragen Sie nächste Woche nochmal."),
        (
            "Ich habe von Ihrem neuen Standort gelesen, herzlichen Glückwunsch.",
            "Danke, das hat lange gedauert. Das Team freut sich sehr.",
        ),
    ],
}
NEXT_STEPS = {
    "en": [
        (
            "As a next step I'd suggest a session with your AP team on a sandbox with your own invoices. Would next Tuesday work?",
            "Tuesday afternoon works. I'll bring two people from the team.",
        ),
        (
            "I'll summarise today in an email with the points we discussed and the open questions.",
            "Please do, it helps me brief the others.",
        ),
        (
            "Would it help if I joined the call with your CFO to answer questions directly?",
            "Possibly, let me ask her first.",
        ),
    ],
    "de": [
        (
            "Als nächsten Schritt schlage ich einen Termin mit Ihrer Buchhaltung vor, mit Ihren eigenen Rechnungen in einer Testumgebung.",
            "Gern, nächste Woche Dienstag passt.",
        ),
        (
            "Ich fasse das Gespräch heute in einer E-Mail zusammen, mit den offenen Punkten.",
            "Das hilft mir, dann kann ich die Geschäftsführung informieren.",
        ),
    ],
}
AGENDA = {
    "en": [
        "Let me share my screen and walk you through how {product} fits your process.",
        "Quick agenda: your current process, a short demo of {product}, then your questions.",
        "I'd like to pick up where we left off last time and show you the parts you asked about.",
    ],
    "de": [
        "Ich teile kurz meinen Bildschirm und zeige Ihnen, wie {product} in Ihren Ablauf passt.",
        "Kurz zur Agenda: Ihr heutiger Ablauf, eine kurze Demo von {product}, dann Ihre Fragen.",
    ],
}
PITCHES = {
    "Corvane Flow": {
        "en": [
            "Invoices arrive by email, Flow reads header and line items and suggests the coding based on how you booked that supplier before.",
            "Duplicates are caught before anyone approves them, by supplier, amount and invoice number, even when the PDF looks different.",
            "Approvers get the invoice in their inbox and can approve without logging in, and reminders go out automatically after two days.",
            "Payment runs are scheduled so you hit every early-payment discount date, and the bank file is created for you.",
            "Three-way matching checks each invoice against the purchase order and goods receipt, and only the mismatches land on your desk.",
            "Every change is logged, so at year-end your auditor sees who approved what and when without anyone digging through folders.",
        ],
        "de": [
            "Die Rechnungen kommen per E-Mail, Flow liest Kopf- und Positionsdaten und schlägt die Kontierung vor, so wie Sie den Lieferanten bisher gebucht haben.",
            "Dubletten werden erkannt, bevor jemand freigibt, auch wenn das PDF anders aussieht.",
            "Zahlungsläufe werden so geplant, dass Sie jede Skontofrist treffen, die Zahlungsdatei wird automatisch erstellt.",
            "Der Bestellabgleich prüft jede Rechnung gegen Bestellung und Wareneingang, nur die Abweichungen landen bei Ihnen.",
            "Jede Änderung wird protokolliert, Ihr Wirtschaftsprüfer sieht also, wer wann was freigegeben hat.",
        ],
    },
    "Corvane Spend": {
        "en": [
            "Every cardholder gets a limit that fits their role, and receipts are captured in the app right at the till.",
            "Virtual cards for subscriptions mean no more shared company card for software, and each subscription has an owner.",
            "Each payment becomes a finished expense record with VAT split out automatically, ready for your accountant.",
            "Mileage and per diems go through the same app as card payments, so there's one place for everything.",
            "Finance sees spend per team in real time instead of at the end of the month.",
        ],
        "de": [
            "Jede Karte hat ein Limit passend zur Rolle, der Beleg wird direkt an der Kasse mit der App fotografiert.",
            "Virtuelle Karten für Abos ersetzen die geteilte Firmenkarte, und jedes Abo hat einen Verantwortlichen.",
            "Aus jeder Zahlung wird automatisch eine fertige Buchung, die Vorsteuer ist schon ausgewiesen.",
            "Die Buchhaltung sieht die Ausgaben pro Team sofort und nicht erst am Monatsende.",
        ],
    },
    "Corvane Close": {
        "en": [
            "The close calendar shows every task, owner and due date across entities, so nobody asks in the hallway what's still open.",
            "Reconciliations pull balances directly, and variances above your threshold are flagged for a comment.",
            "Intercompany balances are matched automatically before consolidation, with differences listed per counterparty.",
            "Your auditors get read access to the sign-off trail instead of a folder of PDFs.",
            "Recurring journals are prepared from templates, so the same entries aren't typed in every month.",
        ],
        "de": [
            "Der Abschlusskalender zeigt jede Aufgabe mit Verantwortlichem und Frist über alle Gesellschaften.",
            "Abstimmungen holen die Salden direkt, Abweichungen über Ihrer Schwelle werden zur Kommentierung markiert.",
            "Konzerninterne Salden werden vor der Konsolidierung automatisch abgeglichen.",
            "Wiederkehrende Buchungen werden aus Vorlagen vorbereitet, statt jeden Monat neu erfasst zu werden.",
        ],
    },
}
DISCOVERY = {
    "en": [
        (
            "Before I show anything, walk me through how an invoice travels through your team today.",
            "It arrives in a shared mailbox, someone prints it, the budget owner signs it, and then we key it into {erp}. About {volume} a month across the group.",
        ),
        (
            "How many people touch the process today?",
            "Three in accounts payable, a controller who checks the bigger ones, and roughly {n} budget owners who approve.",
        ),
        (
            "What does a good month-end look like for you?",
            "Closed by working day {days}, no surprises in the management pack, and nobody staying past seven.",
        ),
        (
            "What made you look at this now?",
            "We grew from two entities to {entities} in eighteen months, and the old way simply stopped scaling.",
        ),
        (
            "Who else will be part of the decision?",
            "Our CFO signs, and the controller will want to see it in detail before she does.",
        ),
    ],
    "de": [
        (
            "Wie läuft eine Rechnung heute bei Ihnen durch?",
            "Sie kommt in ein Sammelpostfach, wird ausgedruckt, abgezeichnet und dann in {erp} erfasst. Etwa {volume} im Monat.",
        ),
        (
            "Wie viele Personen sind heute beteiligt?",
            "Zwei in der Kreditorenbuchhaltung, dazu ungefähr {n} Kostenstellenverantwortliche, die freigeben.",
        ),
        (
            "Was hat den Anstoß gegeben, sich das jetzt anzusehen?",
            "Wir sind von zwei auf {entities} Gesellschaften gewachsen, und mit dem alten Ablauf kommen wir nicht mehr hinterher.",
        ),
        (
            "Wer entscheidet am Ende mit?",
            "Die Geschäftsführung unterschreibt, aber unser Controller will es vorher im Detail sehen.",
        ),
    ],
}
NEUTRAL = {
    "en": [
        "Okay, that makes sense.",
        "Can you show me what the approver sees on their phone?",
        "How does that look in the report?",
        "Right, and where would my team start in the morning?",
        "Nice, I like that view.",
        "Can I export that list?",
        "Go on.",
        "And that's included in what you showed last time?",
    ],
    "de": [
        "Okay, verstanden.",
        "Wie sieht das auf dem Handy aus?",
        "Kann ich die Liste exportieren?",
        "Das gefällt mir.",
        "Machen Sie weiter.",
        "Wo fängt mein Team morgens an?",
    ],
}
CLOSINGS = {
    "won": {
        "en": [("I'll send the contract today, {first}.", "Great, let's get it signed this week.")],
        "de": [("Ich schicke Ihnen heute den Vertrag, {first}.", "Sehr gut, dann unterschreiben wir diese Woche.")],
    },
    "lost": {
        "en": [("Thanks for being straight with me, {first}.", "Sorry it didn't work out this time.")],
        "de": [("Danke für die offenen Worte, {first}.", "Tut mir leid, dass es diesmal nicht passt.")],
    },
    "open": {
        "en": [("I'll follow up with the documents we discussed.", "Sounds good, talk soon.")],
        "de": [("Ich schicke Ihnen die besprochenen Unterlagen.", "Gut, wir hören uns.")],
    },
}
CONTACT_LINE = {
    "en": ["You can reach me on {phone} or at {email}.", "Send it to {email}, please."],
    "de": ["Sie erreichen mich unter {phone} oder per Mail an {email}.", "Schicken Sie es bitte an {email}."],
}
CITIES = ["Leeds", "Dublin", "Rotterdam", "Lyon", "Glasgow", "Antwerp"]
CITIES_DE = ["Hamburg", "München", "Köln", "Leipzig", "Stuttgart", "Bremen"]
ROLES = {
    "en": ["CISO", "DPO", "IT director", "head of infosec", "group IT"],
    "de": ["Datenschutzbeauftragter", "IT-Leiter", "Informationssicherheitsbeauftragter", "Betriebsrat"],
}
CERTS = ["SOC 2 Type II", "ISO 27001", "TISAX", "C5"]
TOOLS = {
    "en": ["Excel", "our old AP module", "the spreadsheet", "Billvo", "Ledgermate"],
    "de": ["Excel", "unserem alten Programm", "Billvo", "Ledgermate", "den Excel-Listen"],
}
MONTHS = ["January", "February", "March", "September", "October", "November"]
MONTHS_DE = ["Januar", "Februar", "März", "September", "Oktober", "November"]


def _slots(rng: random.Random, lang: str, product: str) -> dict[str, Any]:
    n = rng.choice([8, 12, 20, 35, 60, 120])
    return {
        "competitor": rng.choice(COMPETITORS), "pct": rng.choice([10, 15, 20, 25, 30, 40]), "n": n,
        "k": max(2, n // rng.choice([5, 8, 10])), "amount": f"{rng.choice(['€', '£', '$'])}{rng.choice([5, 8, 12, 20, 40])},000",
        "erp": rng.choice(ERPS[product]), "months": rng.choice([4, 5, 6, 8, 9, 11, 14]), "years": rng.choice([2, 3, 5, 8]),
        "entities": rng.choice([3, 5, 7, 12, 25]), "days": rng.choice([4, 5, 6, 8]), "volume": rng.choice([150, 300, 600, 1200, 2500, 5000]), "quarter": rng.choice(["Q2", "Q3", "Q4", "next January"]),
        "quarter_de": rng.choice(["Q2", "Q3", "Q4", "Januar"]),
        "month": rng.choice(MONTHS), "month_de": rng.choice(MONTHS_DE), "role": rng.choice(ROLES[lang]),
        "cert": rng.choice(CERTS), "tool": rng.choice(TOOLS[lang]), "city": rng.choice(CITIES), "city_de": rng.choice(CITIES_DE),
    }  # fmt: skip


def _account(rng: random.Random, lang: str) -> str:
    first, second, trade, legal = ACCOUNT_PARTS[lang]
    return f"{rng.choice(first)}{rng.choice(second)} {rng.choice(trade)} {rng.choice(legal)}"


def _pick_themes(rng: random.Random) -> list[str]:
    count = rng.choices([0, 1, 2, 3], weights=[15, 40, 30, 15])[0]
    pool = list(THEMES)
    picked: list[str] = []
    for _ in range(count):
        theme = rng.choices(pool, weights=[THEME_WEIGHT[t] for t in pool])[0]
        picked.append(theme)
        pool.remove(theme)
    return picked


def _outcome(rng: random.Random, themes: list[str]) -> str:
    p_open = 0.2 + (0.45 if "budget_timing" in themes else 0.0)
    if rng.random() < p_open:
        return "open"
    p_lost = min(0.85, max(0.05, 0.2 + sum(LOSS_PUSH[t] for t in themes)))
    return "lost" if rng.random() < p_lost else "won"


def _conversation(rng: random.Random, index: int) -> dict[str, Any]:
    lang = "de" if rng.random() < GERMAN_SHARE else "en"
    product = rng.choice(PRODUCTS)
    themes = _pick_themes(rng)
    outcome = _outcome(rng, themes)
    first = rng.choice(FIRST_NAMES[lang])
    slots = _slots(rng, lang, product) | {"first": first, "product": product}
    seller, customer = SPEAKERS[lang]
    turns: list[tuple[str, str]] = []

    def say(who: str, text: str) -> None:
        text = text.format(**slots)
        if turns and turns[-1][0] == who:  # one speaker keeps talking: one longer turn, not two
            turns[-1] = (who, f"{turns[-1][1]} {text}")
        else:
            turns.append((who, text))

    rep_line, reply = rng.choice(GREETINGS[lang])
    say(seller, rep_line)
    say(customer, reply)
    for rep_line, reply in rng.sample(SMALL_TALK[lang], k=rng.choice([1, 2])):
        say(seller, rep_line)
        say(customer, reply)
    for question, answer in rng.sample(DISCOVERY[lang], k=rng.choice([1, 2])):
        say(seller, question)
        say(customer, answer)
    say(seller, rng.choice(AGENDA[lang]))
    pitches = rng.sample(PITCHES[product][lang], k=len(PITCHES[product][lang]))
    target = rng.randint(12, 30)
    # Interleave pitch blocks and objections so objections do not always come at the same place.
    blocks: list[str] = ["pitch"] * rng.randint(1, 3) + themes
    rng.shuffle(blocks)
    for block in blocks:
        if block == "pitch":
            say(seller, pitches.pop() if pitches else rng.choice(PITCHES[product][lang]))
            if pitches and rng.random() < 0.5:
                say(seller, pitches.pop())
            say(customer, rng.choice(NEUTRAL[lang]))
            continue
        quality = "good" if (outcome == "won") == (rng.random() < 0.85) else "weak"
        say(customer, rng.choice(PREAMBLES[lang]) + rng.choice(OBJECTIONS[block][lang]))
        say(seller, rng.choice(ANSWERS[block][quality][lang]))
        say(customer, rng.choice(ACKS[quality][lang]))
    while len(turns) < target - 4:
        say(seller, pitches.pop() if pitches else rng.choice(PITCHES[product][lang]))
        say(customer, rng.choice(NEUTRAL[lang]))
    if outcome != "lost":
        rep_line, reply = rng.choice(NEXT_STEPS[lang])
        say(seller, rep_line)
        say(customer, reply)
    rep_line, reply = rng.choice(CLOSINGS[outcome][lang])
    say(seller, rep_line)
    if rng.random() < 0.3:
        # Personal data for redaction benchmarks; the domain and number ranges are reserved for fiction.
        local = first.split()[-1].lower().translate(str.maketrans({"ö": "oe", "ü": "ue", "ä": "ae"}))
        slots["email"] = f"{local}@{slots['city'].lower()}-example.com"
        slots["phone"] = (
            f"+49 30 555{rng.randint(10000, 99999)}"
            if lang == "de"
            else f"(555) {rng.randint(200, 899)}-{rng.randint(1000, 9999)}"
        )
        reply = reply + " " + rng.choice(CONTACT_LINE[lang])
    say(customer, reply)

    stage = {"won": "Closed Won", "lost": "Closed Lost"}.get(outcome) or rng.choice(OPEN_STAGES)
    day = date(2023, 1, 2) + timedelta(days=rng.randint(0, 900))
    return {
        "call_id": f"SYN-{index + 1:05d}",
        "account": _account(rng, lang),
        "owner": rng.choice(REPS),
        "date": day.isoformat(),
        "stage": stage,
        "segment": rng.choice(SEGMENTS),
        "product": product,
        "notes": "\n".join(f"{who}: {text}" for who, text in turns),
        "language": lang,
        "outcome": outcome,
        "themes": themes,
    }


def generate_conversations(n: int = 1000, seed: int = 0, first: int = 0) -> list[dict[str, Any]]:
    """n conversations with fields call_id, account, owner, date, stage, segment, product, notes,
    language, outcome and themes (the ground truth: themes the customer side raises).

    Call ids count from `first`, so a later batch (an ingest of new calls) gets new ids."""
    rng = random.Random(seed)
    return [_conversation(rng, i) for i in range(first, first + n)]


def write_csv(path: str | Path, n: int = 1000, seed: int = 0, first: int = 0) -> dict[str, list[str]]:
    """Write a CRM-style CSV of n conversations; return the ground truth, call id -> themes."""
    conversations = generate_conversations(n, seed, first)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for c in conversations:
            writer.writerow(
                [c[key] for key in ("call_id", "account", "owner", "date", "stage", "segment", "product", "notes")]
            )
    return {c["call_id"]: list(c["themes"]) for c in conversations}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a CSV of synthetic sales conversations.")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.add_argument("--n", type=int, default=1000, help="number of conversations")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    truth = write_csv(args.out, args.n, args.seed)
    size = Path(args.out).stat().st_size
    print(f"wrote {len(truth)} conversations, {size / 1e6:.2f} MB, to {args.out}")


if __name__ == "__main__":
    main()
