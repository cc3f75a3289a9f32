"""The fictional people of the demo data. Every name, number and address here is invented; the numbers
are valid Belgian / neighbouring-country formats (they must pass ``phonenumbers.is_valid_number``)
so that the scanner sees what it would see in real chats. Where a reserved fiction range exists and is
valid (France 01 99 00 xx xx) it is used."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    phone: str            # E.164
    email: str
    role: str             # staff / client / supplier / contractor / contact / mentioned
    language: str         # nl / fr / en: what they write

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


O3_DOMAIN = "o3group.be"

# O3 Group BV staff (Heverlee). The staff directory maps these names to their phones.
WOUT = Person("Wout Van den Broeck", "+32478316254", "wout.vandenbroeck@o3group.be", "staff", "nl")
SOFIE = Person("Sofie Janssens", "+32476639233", "sofie.janssens@o3group.be", "staff", "nl")
KEVIN = Person("Kevin De Smet", "+32472146881", "kevin.desmet@o3group.be", "staff", "nl")
ANNE = Person("Anne-Sophie Lambert", "+32479736993", "annesophie.lambert@o3group.be", "staff", "fr")
PIETER = Person("Pieter Maes", "+32475632729", "pieter.maes@o3group.be", "staff", "nl")
LOTTE = Person("Lotte Claes", "+32485181756", "lotte.claes@o3group.be", "staff", "nl")
YANNICK = Person("Yannick Dubois", "+32480480635", "yannick.dubois@o3group.be", "staff", "fr")
EMRE = Person("Emre Yilmaz", "+32488178397", "emre.yilmaz@o3group.be", "staff", "nl")
BRAM = Person("Bram Wouters", "+32492820102", "bram.wouters@o3group.be", "staff", "nl")

# Client in Brussels (legal hold chat), one colleague known to the exporter only by number.
MARC = Person("Marc Lemaire", "+32497616124", "m.lemaire@residence-lumiere.be", "client", "fr")
ISABELLE = Person("Isabelle Moreau", "+32499065286", "isabelle.moreau@residence-lumiere.be", "client", "fr")
JULIEN = Person("Julien Hermans", "+32493037486", "julien.hermans@residence-lumiere.be", "client", "fr")

# Construction site Leuven: main contractor and an electrical subcontractor.
GEERT = Person("Geert Wuyts", "+32462570292", "geert@bouwwerken-wuyts.be", "contractor", "nl")
TOM = Person("Tom Verhaegen", "+32469611124", "tom.verhaegen@elektro-verhaegen.be", "contractor", "nl")

# Supplier (writes English, phone set to a US region: 12-hour, month-first export).
DAAN = Person("Daan de Vries", "+31612873405", "daan.devries@lumenpro-supply.nl", "supplier", "en")
KLAUS = Person("Klaus Becker", "+4915123847261", "k.becker@lumenpro-supply.de", "supplier", "en")

# Customers writing to the business number (Cloud API).
LUC = Person("Luc Mertens", "+32467341521", "luc.mertens73@telenet.be", "contact", "nl")
HELENE = Person("Hélène Dupont", "+33199001234", "helene.dupont@orange.fr", "contact", "fr")
MIA = Person("Mia Schmit", "+352621584930", "mia.schmit@pt.lu", "contact", "en")

# Only mentioned, never writing.
JEF = Person("Jef Goossens", "+32462262385", "jef.goossens@skynet.be", "mentioned", "nl")
CHANTAL = Person("Chantal Vandamme", "+3223456789", "chantal.vandamme@proximus.be", "mentioned", "fr")

STAFF = (WOUT, SOFIE, KEVIN, ANNE, PIETER, LOTTE, YANNICK, EMRE, BRAM)
DEMO_PEOPLE: tuple[Person, ...] = STAFF + (MARC, ISABELLE, JULIEN, GEERT, TOM, DAAN, KLAUS, LUC, HELENE,
                                           MIA, JEF, CHANTAL)

# The data subject of the request tests: writes in three chats, is named / called / mailed in others.
SUBJECT = WOUT


def staff_directory() -> dict[str, str]:
    """Known O3 staff: display name → E.164 phone (what HR would supply to resolve chat authors)."""
    return {p.name: p.phone for p in STAFF}
