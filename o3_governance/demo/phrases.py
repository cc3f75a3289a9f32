"""Everyday work chatter of an installation and events company, in Dutch, French and English.
Filler holds no identifiers: personal data enters the demo only through ``planted.SENTENCES``
(and chat participants' first names, which are in ``PLANTED.people``)."""
from __future__ import annotations

import random

ITEMS = {
    "nl": ["de LED-wall", "de truss", "de kabelgoten", "de zonnepanelen", "de omvormer", "het verdeelbord",
           "de noodverlichting", "de speakers", "de podiumverlichting", "de laadpaal", "de spots in de inkom",
           "de geluidstafel", "de generator", "de rookmelders", "de buitenverlichting"],
    "fr": ["le mur LED", "les chemins de câbles", "l'éclairage de secours", "le tableau électrique",
           "les spots du hall", "la borne de recharge", "les haut-parleurs", "l'interphone",
           "les détecteurs de fumée", "l'onduleur", "l'éclairage du parking", "la sonorisation"],
    "en": ["LED panels", "truss sections", "cable trays", "inverters", "stage lights", "wall washers",
           "DMX splitters", "power distros", "emergency lights", "speaker stands", "moving heads",
           "charging stations"],
}
PLACES = ["Leuven", "Heverlee", "Kessel-Lo", "Mechelen", "Brussel", "Tienen", "Aarschot", "Haasrode",
          "Zaventem", "Wavre", "Diest", "Herent"]
PLACES_FR = ["Bruxelles", "Ixelles", "Etterbeek", "Uccle", "Wavre", "Louvain-la-Neuve", "Schaerbeek",
             "Woluwe", "Anderlecht", "Forest"]
DAYS = {
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "morgen", "volgende week"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "demain", "la semaine prochaine"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow", "next week"],
}
TIMES = {
    "nl": ["7u", "7u30", "8u", "8u30", "9u", "10u", "13u", "14u30", "16u"],
    "fr": ["7h", "7h30", "8h", "8h30", "9h", "10h", "13h", "14h30", "16h"],
    "en": ["7:00", "7:30", "8:00", "8:30", "9:00", "10:00", "1 pm", "2:30 pm", "4 pm"],
}

TEXT = {
    "nl": [
        "Ik ben onderweg naar {place}, ben er rond {time}",
        "Klaar met {item}, morgen testen we alles",
        "Wie heeft de sleutel van de bestelwagen?",
        "Materiaal voor {place} staat klaar in het magazijn",
        "Kan iemand {item} ophalen bij de groothandel?",
        "Oplevering in {place} is verschoven naar {day}",
        "We hebben nog {n} meter kabel nodig",
        "Klaar voor vandaag, morgen om {time} verder",
        "Foto's van {item} volgen zo",
        "De klant is tevreden over {item} 👍",
        "Staan we {day} met twee of drie man in {place}?",
        "Opgelet: parkeren aan de achterkant, voorkant is afgesloten",
        "Heeft iemand nog een extra ladder mee?",
        "Probleem met {item}, ik kijk het na",
        "Zekering vervangen, alles draait weer",
        "Ik sta in de file aan {place}, 20 minuten later",
        "Wie doet de afbouw {day}?",
        "Planning volgende week staat in de gedeelde map",
        "Kan jij de werkbon invullen voor {place}?",
        "Koffie staat klaar in de werfkeet ☕",
        "Morgen regen voorspeld, dakwerk uitstellen?",
        "Bestelling van {n} stuks is binnen",
        "Keuring van {item} is in orde",
        "Welke maat bevestigingsbeugels nemen we?",
        "De lift in {place} is buiten dienst, alles via de trap",
        "{first}, kan jij {day} de bestelwagen nemen?",
        "Dank je {first}!",
        "Stroom is {day} van {time} tot 12u af, even verwittigen",
        "Steiger wordt {day} afgebroken",
        "Vergeet de werfkeet niet af te sluiten",
        "Meetrapport staat in de map",
        "Boormachine ligt nog in de bestelwagen",
    ],
    "fr": [
        "Je suis en route vers {place}, j'arrive vers {time}",
        "Installation terminée pour {item}, on teste demain",
        "Qui a les clés de la camionnette ?",
        "Le matériel pour {place} est prêt au dépôt",
        "La réception des travaux est reportée à {day}",
        "Il nous faut encore {n} mètres de câble",
        "Fini pour aujourd'hui, on reprend demain à {time}",
        "Les photos de {item} arrivent",
        "Le hall d'entrée est fermé, passez par le parking",
        "Quelqu'un peut passer pour {item} ?",
        "Le syndic demande un devis pour {item}",
        "Le technicien peut venir {day} matin ?",
        "La porte du local technique est ouverte",
        "Il y a un problème avec {item}, vous pouvez regarder ?",
        "Les résidents se plaignent du bruit, commencez après 9h svp",
        "{first}, tu peux confirmer l'heure ?",
        "Merci {first} !",
        "Facture reçue, on vérifie",
        "L'ascenseur est en panne, prévoyez la montée à pied",
        "C'est réparé pour {item}",
        "Réunion de chantier {day} à {time}",
        "Le badge d'accès est à l'accueil",
        "On coupe le courant {day} entre {time} et midi",
        "Le rapport d'intervention est envoyé",
        "Il manque {n} mètres de goulotte",
    ],
    "en": [
        "On my way to {place}, ETA {time}",
        "The {item} are installed, testing tomorrow",
        "Who has the van keys?",
        "Shipment of {n} units left our warehouse today",
        "Tracking number follows by email",
        "Can you confirm the delivery address?",
        "Delivery moved to {day}",
        "We need {n} more metres of cable",
        "Done for today, back at {time} tomorrow",
        "Photos of the {item} coming up",
        "Price for {n} {item}?",
        "Lead time is about two weeks",
        "Backorder on {item}, sorry",
        "Invoice sent",
        "Can you send the datasheet for the {item}?",
        "Quote is in your inbox",
        "{first}, can you check the stock?",
        "Thanks {first}!",
        "Pallet arrives {day} between 8 and 12",
        "Customs paperwork is done",
        "Which colour temperature, 3000K or 4000K?",
        "The {item} for {place} are packed",
        "Load-in starts {day} at {time}",
        "Soundcheck went fine",
        "Generator fuel is low, who brings diesel?",
    ],
}
SHORT = {
    "nl": ["Ok", "Ok, doe ik", "Top, bedankt!", "Ja", "Nee, nog niet", "Ik kom eraan", "👍", "Prima",
           "Merci!", "Goed bezig 💪", "Even bellen?", "Staat genoteerd", "Komt in orde", "Perfect", "👌"],
    "fr": ["D'accord", "Bien reçu, merci", "Parfait 👍", "Merci beaucoup !", "Oui", "Pas encore", "J'arrive",
           "Ok pour moi", "Super", "Je regarde", "👍", "Top"],
    "en": ["Ok", "Thanks!", "Sure", "Great, thanks 👍", "Will do", "Not yet", "On it", "Perfect", "👍",
           "Noted", "Cheers"],
}
MULTI = {
    "nl": ["Planning {day}:\n- {place}: {item}\n- magazijn: laden\n\nVertrek om {time}",
           "Materiaallijst:\n{n}x verlengkabel\n{n2}x kabelbinders\n1x ladder",
           "Nog te doen in {place}:\n1. {item}\n2. opkuisen\n3. foto's voor het dossier"],
    "fr": ["Programme {day} :\n- {place} : {item}\n- dépôt : chargement\n\nDépart à {time}",
           "Liste du matériel :\n{n}x rallonges\n{n2}x colliers\n1x échelle",
           "À faire à {place} :\n1. {item}\n2. nettoyage\n3. photos pour le dossier"],
    "en": ["Order:\n{n}x {item}\n{n2}x mounting brackets\n\nShip to Heverlee please",
           "Schedule {day}:\n- load-in {time}\n- {item}\n\n- show at 8 pm",
           "Packing list:\n{n}x {item}\n{n2}x safety cables"],
}
CAPTIONS = {
    "nl": ["Foto van de meterkast", "Zo staat het nu", "Voor en na", "Schade bij levering", "Werkbon getekend"],
    "fr": ["Photo du tableau", "Voilà l'état actuel", "Avant / après", "Dégâts à la livraison"],
    "en": ["Packing slip", "Current state", "Damage on arrival", "Serial number label"],
}
CUSTOMER = {
    "nl": ["Goedemorgen, wanneer kan de technieker langskomen?", "De laadpaal geeft een rode lamp",
           "Bedankt voor de snelle hulp!", "Is de offerte al verstuurd?", "Ik ben thuis vanaf 14u",
           "De buitenverlichting springt steeds uit", "Kan het ook {day}?"],
    "fr": ["Bonjour, quand le technicien peut-il passer ?", "La borne clignote en rouge",
           "Merci pour l'intervention", "Je suis à la maison à partir de 14h", "Le devis est-il prêt ?",
           "Est-ce possible {day} ?"],
    "en": ["Hi, when can the technician come?", "The charger shows a red light", "Thanks for the quick help!",
           "I'm home from 2 pm", "Is the quote ready?", "Could it be {day}?"],
}


# Openers and closers make the same work message come out in many forms, as people write them.
OPEN = {
    "nl": ["Goedemorgen, ", "Hey {first}, ", "Ok, ", "Mannen, ", "Info: ", "Dringend: ", "Ter info: ", "Zeg, "],
    "fr": ["Bonjour, ", "Salut {first}, ", "Ok, ", "Info : ", "Urgent : ", "Pour info, ", "Bonsoir, "],
    "en": ["Morning, ", "Hi {first}, ", "Ok, ", "FYI ", "Heads up: ", "Quick one: ", "Hey, "],
}
CLOSE = {
    "nl": [" 👍", " thx", " (werkbon {ref})", " – zie planning", "!", " 🙏", " aub", " (verdieping {floor})",
           " tegen {time}"],
    "fr": [" 👍", " merci", " (bon {ref})", " svp", "!", " 🙏", " (étage {floor})", " avant {time}"],
    "en": [" 👍", " thanks", " (job {ref})", " pls", "!", " 🙏", " (floor {floor})", " by {time}"],
}


def _fill(template: str, lang: str, rng: random.Random, first: str) -> str:
    item = rng.choice(ITEMS[lang])
    return template.format(
        place=rng.choice(PLACES_FR if lang == "fr" else PLACES), time=rng.choice(TIMES[lang]),
        day=rng.choice(DAYS[lang]), item=item, n=rng.randint(2, 60),
        n2=rng.randint(10, 200), first=first, ref=rng.randint(1000, 9999), floor=rng.randint(0, 12))


def text(lang: str, rng: random.Random, first: str) -> str:
    """One everyday message: a short reply, a work message, or (rarely) a multi-line list."""
    r = rng.random()
    if r < 0.30:
        return rng.choice(SHORT[lang])
    if r < 0.96:
        body = rng.choice(TEXT[lang])
        if rng.random() < 0.3:
            body = rng.choice(OPEN[lang]) + body[0].lower() + body[1:] if not body.startswith("{") else body
        if rng.random() < 0.35:
            body += rng.choice(CLOSE[lang])
        return _fill(body, lang, rng, first)
    return _fill(rng.choice(MULTI[lang]), lang, rng, first)


def customer(lang: str, rng: random.Random) -> str:
    return _fill(rng.choice(CUSTOMER[lang]), lang, rng, "")


def caption(lang: str, rng: random.Random) -> str:
    return rng.choice(CAPTIONS[lang])
