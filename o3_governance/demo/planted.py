"""Personal data planted in the demo chats, sentence by sentence, with what a scanner should find.

Every planted sentence lands in the demo inbox exactly once, whatever the seed (the seed moves it in
time and between participants, never out). ``PLANTED`` collects the strings so that other tests can
assert that none of them leaks into reports, logs or metadata. Identifiers are valid (checksums of
national numbers, IBANs and Luhn; phones pass ``phonenumbers.is_valid_number``); see tests/test_demo.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers

from o3_governance.demo import people as P
from o3_governance.demo.people import DEMO_PEOPLE, SUBJECT, Person

IDENTIFIER_TYPES = ("PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "BE_NATIONAL_NUMBER")
SPECIAL_TYPES = ("HEALTH_DATA", "POLITICAL_OPINION", "RELIGIOUS_BELIEF", "TRADE_UNION_MEMBERSHIP",
                 "SEXUAL_ORIENTATION", "ETHNIC_ORIGIN", "BIOMETRIC_DATA", "GENETIC_DATA", "CRIMINAL_OFFENCE")


@dataclass(frozen=True, slots=True)
class PlantedSentence:
    language: str                              # nl / fr / en
    text: str
    entities: tuple[tuple[str, str], ...]      # (entity type, exact substring of text)
    chat: str                                  # demo chat key it lands in (see inbox.CHATS)
    author: Person | None = None               # None: any participant of the chat but the people named
    decoy: bool = False                        # looks sensitive, is not: a scanner must find no Art. 9/10

    def spans(self) -> list[tuple[str, int, int]]:
        """(entity type, start, end) offsets of each entity in ``text``."""
        out = []
        for kind, value in self.entities:
            start = self.text.index(value)
            out.append((kind, start, start + len(value)))
        return out


def _s(language, chat, text, *entities, author=None, decoy=False) -> PlantedSentence:
    return PlantedSentence(language, text, tuple(entities), chat, author, decoy)


NN, IBAN, CARD, PHONE, EMAIL, PERSON = ("BE_NATIONAL_NUMBER", "IBAN_CODE", "CREDIT_CARD", "PHONE_NUMBER",
                                        "EMAIL_ADDRESS", "PERSON")
HEALTH, POLITICAL, RELIGION, UNION, SEXUAL, ETHNIC, BIOMETRIC, GENETIC, CRIMINAL = SPECIAL_TYPES

SENTENCES: tuple[PlantedSentence, ...] = (
    # ---- Dutch: site chat (Werf Leuven) and the installers' team chat -----------------------------
    _s("nl", "werf", "Voor de toegangsbadge van Wout: rijksregisternummer 85.07.30-033.28",
       (PERSON, "Wout"), (NN, "85.07.30-033.28"), author=P.SOFIE),
    _s("nl", "werf", "Mijn nieuwe nummer is 0478 31 62 54, het oude mag uit de lijst",
       (PHONE, "0478 31 62 54"), author=P.WOUT),
    _s("nl", "werf", "Bel Geert op 0462 57 02 92 als de kraan er om 7u nog niet is",
       (PERSON, "Geert"), (PHONE, "0462 57 02 92"), author=P.TOM),
    _s("nl", "werf", "Het voorschot mag op BE46 7351 2345 6736, factuur volgt per mail naar geert@bouwwerken-wuyts.be",
       (IBAN, "BE46 7351 2345 6736"), (EMAIL, "geert@bouwwerken-wuyts.be"), author=P.GEERT),
    _s("nl", "werf", "Kevin is de hele week thuis, de dokter zegt een hernia. Ziektebriefje volgt.",
       (PERSON, "Kevin"), (HEALTH, "de dokter zegt een hernia"), author=P.SOFIE),
    _s("nl", "werf", "Lotte is zwanger, dus ze doet geen hoogtewerk meer tot na de bevalling",
       (PERSON, "Lotte"), (HEALTH, "Lotte is zwanger"), author=P.SOFIE),
    _s("nl", "werf", "Jef Goossens ligt in het UZ Leuven na zijn hartinfarct, bezoek kan vanaf morgen",
       (PERSON, "Jef Goossens"), (HEALTH, "na zijn hartinfarct"), author=P.GEERT),
    _s("nl", "team", "Bram is lid van het ACV en wil dat de vakbondsafgevaardigde bij het gesprek is",
       (PERSON, "Bram"), (UNION, "lid van het ACV"), author=P.SOFIE),
    _s("nl", "team", "Ik ben aangesloten bij het ABVV, ik vraag het morgen aan mijn vakbond",
       (UNION, "aangesloten bij het ABVV"), author=P.KEVIN),
    _s("nl", "werf", "Geert stemt al jaren Groen en deelt flyers voor de partij op de werf",
       (PERSON, "Geert"), (POLITICAL, "stemt al jaren Groen"), author=P.TOM),
    _s("nl", "werf", "Tom is Jehova's getuige, hij komt niet naar de kerstborrel",
       (PERSON, "Tom"), (RELIGION, "is Jehova's getuige"), author=P.GEERT),
    _s("nl", "team", "Pieter komt met zijn vriend naar het personeelsfeest, hij is homo maar dat weet nog niet iedereen",
       (PERSON, "Pieter"), (SEXUAL, "hij is homo"), author=P.LOTTE),
    _s("nl", "werf", "De nieuwe chauffeur heeft een strafblad voor diefstal, niet alleen in de werfkeet laten",
       (CRIMINAL, "heeft een strafblad voor diefstal"), author=P.GEERT),
    _s("nl", "team", "De stagiair van volgende week is van Marokkaanse afkomst, spreekt goed Frans",
       (ETHNIC, "van Marokkaanse afkomst"), author=P.PIETER),
    _s("nl", "werf", "De vingerafdrukken van alle technici zitten nu in de nieuwe badgelezer van de werf",
       (BIOMETRIC, "vingerafdrukken van alle technici"), author=P.GEERT),
    _s("nl", "team", "Zijn zoon heeft via een DNA-test een erfelijke spierziekte laten vaststellen",
       (GENETIC, "DNA-test een erfelijke spierziekte"), author=P.LOTTE),
    _s("nl", "team", "Betaling klant met kaart 4111 1111 1111 1111 mislukt, vervaldatum 09/27",
       (CARD, "4111 1111 1111 1111"), author=P.PIETER),
    _s("nl", "team", "Kevin zijn rijksregisternummer voor de verzekering: 78.11.02-154.46",
       (PERSON, "Kevin"), (NN, "78.11.02-154.46"), author=P.SOFIE),
    _s("nl", "werf", "Het noodnummer van de werfleider is +32 16 29 84 10",
       (PHONE, "+32 16 29 84 10"), author=P.GEERT),
    _s("nl", "team", "Stuur de offerte naar wout.vandenbroeck@o3group.be, hij volgt het dossier op",
       (EMAIL, "wout.vandenbroeck@o3group.be"), author=P.SOFIE),
    _s("nl", "team", "Nieuwe stagiaire Amber Peeters is van 2003, rijksregisternummer 03.02.14-267.01",
       (PERSON, "Amber Peeters"), (NN, "03.02.14-267.01"), author=P.PIETER),
    _s("nl", "team", "Bel me op 0032 475 63 27 29 als het magazijn dicht is",
       (PHONE, "0032 475 63 27 29"), author=P.PIETER),
    _s("nl", "team", "Contact in Luxemburg is Mia Schmit, +352 621 584 930",
       (PERSON, "Mia Schmit"), (PHONE, "+352 621 584 930"), author=P.LOTTE),
    # decoys (nl)
    _s("nl", "werf", "Levering op de Kerkstraat 12 in Heverlee, achteraan parkeren", decoy=True),
    _s("nl", "team", "Na de opbouw is er een feest voor de klant in de grote tent", decoy=True),
    _s("nl", "werf", "Ik word ziek van die file op de E40, ben er om half negen", decoy=True),
    _s("nl", "werf", "De partij kabels van vorige week was te kort, nog 50 meter bestellen", decoy=True),
    _s("nl", "team", "We plaatsen de noodverlichting in de nieuwe vleugel van het ziekenhuis", decoy=True),
    _s("nl", "team", "Het lokaal van de vakbond in Leuven wil een offerte voor een nieuwe geluidsinstallatie",
       decoy=True),

    # ---- French: the client in Brussels (legal hold) ---------------------------------------------
    _s("fr", "bxl", "Voici mon numéro de registre national pour le contrat : 67.03.21-998.91",
       (NN, "67.03.21-998.91"), author=P.MARC),
    _s("fr", "bxl", "Pour l'acompte, virement sur BE21 0012 3456 7803 au nom de la Résidence Lumière",
       (IBAN, "BE21 0012 3456 7803"), author=P.ISABELLE),
    _s("fr", "bxl", "Mon numéro BIS : 92.45.17-519.54, je n'ai pas encore de carte d'identité belge",
       (NN, "92.45.17-519.54"), author=P.JULIEN),
    _s("fr", "bxl", "Vous pouvez joindre Wout Van den Broeck au 0478 31 62 54 pour l'intervention de demain",
       (PERSON, "Wout Van den Broeck"), (PHONE, "0478 31 62 54"), author=P.ANNE),
    _s("fr", "bxl", "Paiement par carte 5555 5555 5555 4444, merci de confirmer la réception",
       (CARD, "5555 5555 5555 4444"), author=P.MARC),
    _s("fr", "bxl", "Hélène Dupont, notre contact à Paris : +33 1 99 00 12 34",
       (PERSON, "Hélène Dupont"), (PHONE, "+33 1 99 00 12 34"), author=P.ISABELLE),
    _s("fr", "bxl", "Écrivez à isabelle.moreau@residence-lumiere.be pour les accès au parking",
       (EMAIL, "isabelle.moreau@residence-lumiere.be"), author=P.MARC),
    _s("fr", "bxl", "Marc est en congé maladie pour un burn-out jusqu'à la fin du mois",
       (PERSON, "Marc"), (HEALTH, "en congé maladie pour un burn-out"), author=P.ISABELLE),
    _s("fr", "bxl", "Yannick est à l'hôpital depuis hier, opération du genou",
       (PERSON, "Yannick"), (HEALTH, "à l'hôpital depuis hier, opération du genou"), author=P.ANNE),
    _s("fr", "bxl", "Julien est affilié à la FGTB, il veut un délégué syndical à la réunion",
       (PERSON, "Julien"), (UNION, "affilié à la FGTB"), author=P.MARC),
    _s("fr", "bxl", "Je suis à la CSC depuis vingt ans, je vais appeler mon syndicat",
       (UNION, "Je suis à la CSC"), author=P.YANNICK),
    _s("fr", "bxl", "Isabelle milite au PTB, évitez de parler des élections avec elle",
       (PERSON, "Isabelle"), (POLITICAL, "milite au PTB"), author=P.JULIEN),
    _s("fr", "bxl", "Marc est musulman pratiquant, pas de lunch pendant la réunion ce mois-ci",
       (PERSON, "Marc"), (RELIGION, "musulman pratiquant"), author=P.JULIEN),
    _s("fr", "bxl", "Julien est gay, il viendra à l'inauguration avec son mari",
       (PERSON, "Julien"), (SEXUAL, "Julien est gay"), author=P.ISABELLE),
    _s("fr", "bxl", "Le nouveau concierge a été condamné pour vol l'an dernier",
       (CRIMINAL, "condamné pour vol"), author=P.MARC),
    _s("fr", "bxl", "Le sous-traitant pour la peinture est d'origine congolaise",
       (ETHNIC, "d'origine congolaise"), author=P.ISABELLE),
    _s("fr", "bxl", "La reconnaissance faciale à l'entrée enregistre le visage de chaque technicien",
       (BIOMETRIC, "reconnaissance faciale"), author=P.MARC),
    _s("fr", "bxl", "Chantal Vandamme, la syndique de l'immeuble, est au 02 345 67 89",
       (PERSON, "Chantal Vandamme"), (PHONE, "02 345 67 89"), author=P.ISABELLE),
    # decoys (fr)
    _s("fr", "bxl", "Le client en a marre des retards, il faut finir le hall cette semaine", decoy=True),
    _s("fr", "bxl", "La fête du client est prévue vendredi à 18h dans le jardin", decoy=True),
    _s("fr", "bxl", "L'union des deux câbles se fait dans la boîte de dérivation", decoy=True),
    _s("fr", "bxl", "La partie électrique est terminée au troisième étage", decoy=True),
    _s("fr", "bxl", "Installation du son à l'église Saint-Boniface samedi matin", decoy=True),

    # ---- English: supplier (12-hour export) and the team chat --------------------------------------
    _s("en", "supplier", "Please send the invoice for the LED panels to pieter.maes@o3group.be",
       (EMAIL, "pieter.maes@o3group.be"), author=P.SOFIE),
    _s("en", "supplier", "Our bank details changed, please pay to NL03 RABO 0312 4567 89 from now on",
       (IBAN, "NL03 RABO 0312 4567 89"), author=P.DAAN),
    _s("en", "supplier", "You can reach me in Germany at +49 1512 3847261",
       (PHONE, "+49 1512 3847261"), author=P.KLAUS),
    _s("en", "supplier", "Daan's mobile is +31 6 12873405 if I'm on holiday",
       (PERSON, "Daan"), (PHONE, "+31 6 12873405"), author=P.KLAUS),
    _s("en", "supplier", "The credit card on file is 4012 8888 8888 1881, expiring 11/27",
       (CARD, "4012 8888 8888 1881"), author=P.DAAN),
    _s("en", "supplier", "Wout Van den Broeck will sign for the delivery, his number is +32 478 31 62 54",
       (PERSON, "Wout Van den Broeck"), (PHONE, "+32 478 31 62 54"), author=P.SOFIE),
    _s("en", "supplier", "Daan is a Green Party activist, so maybe skip the politics at dinner",
       (PERSON, "Daan"), (POLITICAL, "Green Party activist"), author=P.KLAUS),
    _s("en", "supplier", "Klaus is Jewish and keeps kosher, please order a separate meal",
       (PERSON, "Klaus"), (RELIGION, "is Jewish and keeps kosher"), author=P.DAAN),
    _s("en", "supplier", "Amex for the deposit: 3782 822463 10005",
       (CARD, "3782 822463 10005"), author=P.SOFIE),
    _s("en", "supplier", "Our Luxembourg warehouse is on +352 26 12 34 56",
       (PHONE, "+352 26 12 34 56"), author=P.KLAUS),
    _s("en", "team", "Pieter is on sick leave, he has a slipped disc",
       (PERSON, "Pieter"), (HEALTH, "on sick leave, he has a slipped disc"), author=P.SOFIE),
    _s("en", "team", "Sofie told me she is pregnant, so no ladder work for her",
       (PERSON, "Sofie"), (HEALTH, "she is pregnant"), author=P.LOTTE),
    _s("en", "team", "Kevin joined the ACLVB union last month",
       (PERSON, "Kevin"), (UNION, "joined the ACLVB union"), author=P.EMRE),
    _s("en", "team", "Bram mentioned he is bisexual, he'll bring his boyfriend to the staff party",
       (PERSON, "Bram"), (SEXUAL, "he is bisexual"), author=P.EMRE),
    _s("en", "team", "The new driver has a criminal record for drunk driving",
       (CRIMINAL, "criminal record for drunk driving"), author=P.PIETER),
    _s("en", "team", "The temp worker they sent is of Turkish origin, he speaks Dutch fine",
       (ETHNIC, "of Turkish origin"), author=P.BRAM),
    _s("en", "team", "Upload your fingerprint template for the new site access reader",
       (BIOMETRIC, "fingerprint template"), author=P.SOFIE),
    _s("en", "team", "Her DNA test showed she carries the BRCA1 gene mutation",
       (GENETIC, "DNA test showed she carries the BRCA1 gene mutation"), author=P.LOTTE),
    _s("en", "team", "National number for the insurance form: 01.09.09-082.52",
       (NN, "01.09.09-082.52"), author=P.EMRE),
    _s("en", "team", "Expense refund to my account BE62 3635 5512 3461 please",
       (IBAN, "BE62 3635 5512 3461"), author=P.EMRE),
    # decoys (en)
    _s("en", "supplier", "The client is sick of the delays, can you ship Monday?", decoy=True),
    _s("en", "team", "Party for the client starts at 8, we need the uplighting by 6", decoy=True),
    _s("en", "team", "Use a union of two cables with a proper connector, no tape", decoy=True),
    _s("en", "supplier", "Deliver to Kerkstraat 12, Heverlee, loading dock at the back", decoy=True),
    _s("en", "team", "The hospital wing lighting job is postponed to next week", decoy=True),
    _s("en", "team", "Sound check in the church hall at 4 pm", decoy=True),
    _s("en", "supplier", "Fingerprint smudges all over the new glass panels, bring a cloth", decoy=True),

    # ---- Cloud API: customers writing to the business number --------------------------------------
    _s("nl", "cloud", "Goedemiddag, mijn rekening voor de terugbetaling is BE24 0639 8765 4338",
       (IBAN, "BE24 0639 8765 4338"), author=P.LUC),
    _s("nl", "cloud", "Wout Van den Broeck is vanmorgen langsgeweest, alles werkt weer",
       (PERSON, "Wout Van den Broeck"), author=P.LUC),
    _s("nl", "cloud", "Mijn e-mail is luc.mertens73@telenet.be voor de factuur",
       (EMAIL, "luc.mertens73@telenet.be"), author=P.LUC),
    _s("fr", "cloud", "Bonjour, je suis en chimiothérapie, pouvez-vous décaler l'installation ?",
       (HEALTH, "je suis en chimiothérapie"), author=P.HELENE),
    _s("en", "cloud", "Hi, can Wout come back on Tuesday? My number is +352 621 584 930",
       (PERSON, "Wout"), (PHONE, "+352 621 584 930"), author=P.MIA),
    _s("en", "cloud", "Card 4000 0566 5566 5556 for the deposit, thanks",
       (CARD, "4000 0566 5566 5556"), author=P.MIA),
)


@dataclass(frozen=True)
class Planted:
    sentences: tuple[PlantedSentence, ...]
    people: tuple[Person, ...]
    subject: Person
    identifiers: list[str] = field(default_factory=list)   # phones/emails/IBANs/cards/NNs as written
    special: list[str] = field(default_factory=list)       # special-category phrases as written
    names: list[str] = field(default_factory=list)         # every fictional person's full name
    decoys: list[str] = field(default_factory=list)        # decoy sentences (no Art. 9/10 data)

    def strings(self) -> list[str]:
        """Everything that must never appear in reports, logs, metadata or exceptions: planted
        identifiers and phrases, full names, and each person's phone (E.164, international and national
        forms, as authors and mentions show them) and email."""
        phones = set()
        for p in self.people:
            parsed = phonenumbers.parse(p.phone)
            phones |= {p.phone, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
                       phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)}
        return sorted(set(self.identifiers) | set(self.special) | set(self.names) | phones
                      | {p.email for p in self.people})

    def by_type(self, entity_type: str) -> list[str]:
        return sorted({v for s in self.sentences for k, v in s.entities if k == entity_type})


def _build() -> Planted:
    for s in SENTENCES:  # a typo in an entity would silently make a test vacuous
        for _, value in s.entities:
            if value not in s.text:
                raise AssertionError("planted entity is not a substring of its sentence")
    identifiers = sorted({v for s in SENTENCES for k, v in s.entities if k in IDENTIFIER_TYPES})
    special = sorted({v for s in SENTENCES for k, v in s.entities if k in SPECIAL_TYPES})
    return Planted(
        sentences=SENTENCES,
        people=DEMO_PEOPLE,
        subject=SUBJECT,
        identifiers=identifiers,
        special=special,
        names=sorted({p.name for p in DEMO_PEOPLE} | {"Amber Peeters"}),
        decoys=[s.text for s in SENTENCES if s.decoy],
    )


PLANTED = _build()
