"""Health terms said figuratively (of a device, the weather, an exhibition, an animal in a set, a facility, a whole
crew) stay unflagged, while the same words about a person still count. Sentences written for these tests; none
is in an evaluation set."""
import pytest

from o3_governance.scanning.scan import analyze_one


def health(scanner, text, lang):
    return any(f.entity_type == "HEALTH_DATA" for f in analyze_one(scanner, text, lang))


@pytest.mark.parametrize("lang,text", [
    # a condition said of a device
    ("nl", "die oude laptop heeft echt adhd, hij springt van venster naar venster"),
    ("nl", "die router is bipolair, de ene minuut vol bereik en dan niks meer"),
    ("fr", "la tablette de régie est bipolaire, un coup elle répond un coup elle s'éteint"),
    ("fr", "le gradateur a un handicap, il lui manque trois canaux"),
    ("en", "this laptop is bipolar, it boots fine then freezes for an hour"),
    ("en", "the new printer has ADHD, it prints two pages and stops"),
    # the weather
    ("nl", "er komt een depressie over de Ardennen, veel regen voor de openlucht"),
    ("en", "a deep depression moving in from the atlantic, secure the marquee"),
    ("fr", "une dépression arrive par l'ouest avec pluie et vent, on bâche la scène"),
    # history, exhibitions and sets
    ("nl", "lichtplan voor de expo over de spaanse griep in het stadsarchief"),
    ("en", "we light the spanish flu room of the city archive next week"),
    ("nl", "een zwangere koe in het decor van de boerderijmusical, spotje erop aub"),
    # facilities described with a condition
    ("nl", "de rolstoeltoegankelijke ingang van de zaal moet extra verlicht worden"),
    ("nl", "dementievriendelijke zone in de inkom: zacht licht en geen flitsen"),
    ("en", "the wheelchair-accessible entrance needs a light, client asked"),
    ("en", "make the autism-friendly quiet room dimmable please"),
    ("fr", "les toilettes pour personnes handicapées sont au fond du couloir, il faut un spot"),
    # jokes about forgetting, tidiness and panic
    ("fr", "je suis diabétique des réunions, il m'en faut trois par jour 😂"),
    ("fr", "c'est un autiste du rangement, chaque câble à sa place"),
    ("fr", "j'ai un petit alzheimer, le badge est resté au dépôt"),
    ("nl", "hij is echt autistisch over zijn flightcases, alles op label"),
    ("en", "don't have a stroke, the truck is only ten minutes late"),
    # things and gear
    ("en", "the hatch on the flightcase is blind-riveted from inside"),
    ("en", "the rehab of the old cinema starts in march, we quote the house lights"),
    ("en", "the hazer needs a transfusion of fluid before the show"),
    ("fr", "on a fait une transfusion d'huile dans le groupe électrogène"),
    ("fr", "Marc a cassé le pied du projecteur en le déchargeant"),
    ("en", "the new dimmer range is called Heartbeat, the rep swears it is not a pacemaker"),
])
def test_a_condition_said_of_a_thing_or_in_a_joke_is_not_health_data(scanner, lang, text):
    assert not health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("nl", "mijn dochter heeft adhd, ik moet woensdag vroeger weg voor de logopedist"),
    ("nl", "zijn vriendin is bipolair en ligt weer in de kliniek"),
    ("nl", "Griet is zwanger van haar eerste, geen ladderwerk meer"),
    ("nl", "Pieter is depressief sinds de scheiding, hij ziet een psycholoog"),
    ("nl", "mijn grootvader heeft een pacemaker gekregen vorige week"),
    ("nl", "Hannes is seropositief, hou het voor jezelf"),
    ("fr", "sa femme est bipolaire, il part plus tôt le jeudi"),
    ("fr", "Manon est enceinte de 5 mois, elle reste au bureau"),
    ("fr", "le père de Yannick a Alzheimer, il prend congé lundi"),
    ("fr", "Thierry est diabétique, il a toujours du sucre dans son sac"),
    ("fr", "Nadia s'est cassé le poignet en tombant du quai"),
    ("fr", "Olivier est en burn out depuis janvier"),
    ("en", "my brother is autistic, loud venues are hard for him"),
    ("en", "Sarah is pregnant, no rigging for her this season"),
    ("en", "her husband has MS so she needs fixed hours"),
    ("en", "Tom is in rehab for his drinking, back in spring"),
    ("en", "my dad got a pacemaker fitted on friday"),
])
def test_the_same_condition_about_a_person_is_health_data(scanner, lang, text):
    assert health(scanner, text, lang)
