"""Political opinion, trade-union membership and criminal offences (issue 13, round 3): each vocabulary class the
term files gained, said of a person in Dutch, French and English (also when a sentence switches language), and
the things, events and jobs that share its words and stay unflagged. Every sentence is written for these tests."""
import pytest

from o3_governance.scanning.scan import analyze_one
from o3_governance.vocabulary import SPECIAL_CATEGORY_TYPES

SPECIAL = set(SPECIAL_CATEGORY_TYPES)
POLITICAL, UNION, CRIMINAL = "POLITICAL_OPINION", "TRADE_UNION_MEMBERSHIP", "CRIMINAL_OFFENCE"


def special(scanner, text, lang):
    return {f.entity_type for f in analyze_one(scanner, text, lang)} & SPECIAL


# --- political opinion -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("en", "Koen is running for Vooruit in Mechelen next year, he told us at lunch"),
    ("en", "Sofie is a die-hard N-VA fan, don't start about Flemish independence with her"),
    ("en", "Jens is a card carrying cd&v man since forever"),
    ("nl", "Hanne stemt PVDA sinds ze 18 is"),
    ("nl", "mijn schoonbroer staat op de lijst van Open VLD in Kortrijk"),
    ("nl", "Jonas is kandidaat voor Groen bij de gemeenteraadsverkiezingen"),
    ("fr", "Marc est candidat sur la liste MR à Uccle"),
    ("fr", "Paul est sur la liste du PTB à Liège"),
    ("en", "Tom is on the list for Groen in the local elections"),
    ("fr", "ma voisine est une fan du PS depuis toujours"),
    ("fr", "Karim stemt voor Vooruit, il me l'a dit"),
    ("nl", "Fien is actief bij Jong Groen sinds haar 16"),
    ("fr", "Bastien est membre des Jeunes MR à Liège"),
    ("en", "Tim is active in Comac at uni, he organises their meetings"),
])
def test_a_belgian_party_by_its_short_name_said_of_a_person(scanner, lang, text):
    assert special(scanner, text, lang) == {POLITICAL}


@pytest.mark.parametrize("lang,text", [
    ("nl", "Bert is een overtuigde N-VA'er, begin er niet over"),
    ("nl", "die Kevin is een belanger, dat weet iedereen"),
    ("fr", "Julien est un gars du PTB, il te parlera de la taxe des millionnaires"),
    ("fr", "Ahmed est socialiste convaincu, évite le sujet"),
])
def test_a_party_member_named_by_a_noun(scanner, lang, text):
    assert special(scanner, text, lang) == {POLITICAL}


@pytest.mark.parametrize("lang,text", [
    ("en", "my uncle hands out flyers for the PVDA every market day"),
    ("en", "Nadia is putting up posters for Groen before the local elections"),
    ("nl", "Lies gaat deur aan deur voor Vooruit zaterdag"),
    ("nl", "Tom plakt affiches voor cd&v deze week"),
    ("fr", "Sarah fait du porte-à-porte pour Ecolo à Namur ce weekend"),
    ("fr", "Luc colle des affiches pour DéFI avant les communales"),
])
def test_campaigning_for_a_party(scanner, lang, text):
    assert special(scanner, text, lang) == {POLITICAL}


@pytest.mark.parametrize("lang,text", [
    ("en", "party congress of Open VLD in the Ghent expo, lights and sound by us"),
    ("en", "the PS in the margin of the quote says the rigging is extra"),
    ("en", "door to door delivery of the flight cases by DHL tomorrow"),
    ("en", "Kevin is running for the bus, he'll be 5 min late"),
    ("nl", "voor de campagne van Vooruit leveren we 20 spots en een ledwall"),
    ("en", "the N-VA campaign wants 3 screens and a tent in Antwerp"),
    ("nl", "Jan staat op de lijst voor zaterdag, hij komt om 7u"),
    ("nl", "Sofie komt op voor haar collega's, respect"),
    ("nl", "de kandidaat voor de job wacht in de kamer"),
    ("fr", "un gars du chantier a perdu ses clés"),
    ("fr", "Paul est sur la liste de l'équipe pour samedi"),
    ("fr", "Sarah se présente pour le poste de régisseuse"),
    ("en", "Tom is on the list for the party on saturday"),
    ("en", "he was running for the door when the alarm went off"),
    ("nl", "het partijcongres van Vooruit in Oostende, wij doen de truss en de ledwall"),
    ("nl", "groen licht van de klant voor de offerte"),
    ("nl", "we gaan vooruit met de planning, kandidaat voor de job van magazijnier gevonden"),
    ("nl", "de folder van de klant moet deur aan deur bezorgd worden"),
    ("fr", "on monte le podium pour le meeting du PS à Mons, montage à 8h"),
    ("fr", "c'est un vrai défi ce planning, les gars"),
    ("fr", "Mr Dupont veut le devis pour vendredi"),
])
def test_party_words_that_name_an_event_a_thing_or_a_title_stay_unflagged(scanner, lang, text):
    assert POLITICAL not in special(scanner, text, lang)


def test_a_candidate_at_the_social_elections_is_union_not_politics(scanner):
    assert special(scanner, "Jan is kandidaat bij de sociale verkiezingen voor het ACV", "nl") == {UNION}


# --- trade-union membership ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("en", "Bram walks with the ACV in the march on Thursday, he asked for the afternoon off"),
    ("en", "my dad is picketing with the FGTB at the Audi gate today"),
    ("nl", "Joris stapt morgen mee met het ABVV in Brussel, hij is er ni"),
    ("nl", "Sam betoogt dinsdag met de ACOD, dus geen shift"),
    ("nl", "Wout is delegee bij BBTK, vraag het hem"),
    ("fr", "Fabrice a marché avec la FGTB dimanche, il est cassé"),
    ("fr", "Kevin manifeste avec la CSC jeudi à Bruxelles"),
    ("fr", "Yves défile avec le SETCa samedi"),
])
def test_marching_demonstrating_or_delegating_with_a_named_union(scanner, lang, text):
    assert special(scanner, text, lang) == {UNION}


@pytest.mark.parametrize("lang,text", [
    ("en", "Kris gets strike pay from the union this week"),
    ("nl", "Ilse staat aan de piket aan het magazijn, ze komt ni"),
    ("nl", "ons Els krijgt stakingsvergoeding van de vakbond"),
    ("fr", "Mehdi tient le piquet devant l'usine depuis 6h"),
    ("fr", "Aurélie est déléguée principale chez nous pour la CNE"),
])
def test_picketing_strike_pay_and_chief_delegates(scanner, lang, text):
    assert special(scanner, text, lang) == {UNION}


@pytest.mark.parametrize("lang,text", [
    ("en", "the ABVV march on the Zuidplein needs a PA and a truck stage, quote asap"),
    ("en", "train strike on friday, no trains, the crew from Gent carpools"),
    ("en", "strike starts right after the encore, everyone on stage for the load-out"),
    ("nl", "de betoging van het ACV in Brussel: wij verhuren het podium, opbouw 6u"),
    ("nl", "NMBS staking vrijdag, wie rijdt mee vanuit Leuven?"),
    ("nl", "Jan heeft piket dit weekend, bel hem als er iets is met de generator"),
    ("fr", "la CSC loue une sono pour leur manif du 1er mai, devis demandé"),
    ("fr", "grève des TEC lundi, prenez la voiture"),
    ("fr", "le lien vers le site de la CSC marche pas, tu peux réessayer?"),
    ("fr", "ça a marché pour la FGTB, ils ont reçu le devis"),
    ("fr", "le défilé de la FGTB passe devant le dépôt, on bouge les camions"),
])
def test_union_events_as_clients_transport_strikes_and_on_call_duty_stay_unflagged(scanner, lang, text):
    assert UNION not in special(scanner, text, lang)


# --- criminal offences ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("en", "Dieter has to go to the police court on Monday for driving without a licence"),
    ("en", "Gino has court next week for the hit and run, he's off"),
    ("nl", "Wim moet volgende week voor de politierechter voor te snel rijden"),
    ("nl", "Niels is door het rood gereden en moet voorkomen"),
    ("fr", "Tom passe devant le juge jeudi pour son délit de fuite"),
    ("fr", "Dylan passe devant le tribunal jeudi pour ses excès de vitesse"),
    ("fr", "Rudy moet morgen voor de politierechtbank, il a grillé un feu rouge"),
])
def test_appearing_before_a_police_court_or_a_judge(scanner, lang, text):
    assert CRIMINAL in special(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Marc got his licence taken away after a hit-and-run in Lier, he comes by train now"),
    ("en", "Robbe ran a red light drunk and now everybody knows"),
    ("nl", "ons Rik is geflitst aan 140 op de E17, rijbewijs afgepakt"),
    ("nl", "Bart heeft een vluchtmisdrijf gepleegd met zijn auto"),
    ("fr", "Loïc s'est fait flasher à 150 sur le ring"),
    ("fr", "Steph a été contrôlé positif au cannabis dimanche, plus de permis"),
    ("fr", "Greg s'est fait retirer son permis, contrôlé ivre à la sortie du bal"),
])
def test_traffic_offences_and_a_licence_taken_away(scanner, lang, text):
    assert special(scanner, text, lang) == {CRIMINAL}


@pytest.mark.parametrize("lang,text", [
    ("en", "Sven tested positive for cannabis at a roadside check, the boss knows"),
    ("nl", "hij is positief getest op coke bij een wegcontrole"),
])
def test_a_positive_drug_test_at_a_road_check(scanner, lang, text):
    assert CRIMINAL in special(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Ali did 3 years, he's out since June and wants to start over"),
    ("en", "Brent spent two years in jail, keep it to yourself"),
    ("nl", "Jelle heeft 3 jaar gezeten, geef hem een kans"),
    ("nl", "zijn broer zit in de petoet sinds de zomer"),
    ("fr", "Yannick a fait de la taule il y a 10 ans, c'est du passé"),
    ("fr", "Jérôme a pris 2 ans ferme pour trafic"),
])
def test_prison_said_colloquially(scanner, lang, text):
    assert special(scanner, text, lang) == {CRIMINAL}


@pytest.mark.parametrize("lang,text", [
    ("nl", "Lotte heeft 5 jaar bij Stageco gezeten voor ze bij ons kwam"),
    ("nl", "hij heeft 2 maanden thuis gezeten met zijn rug"),
    ("nl", "werf in de politierechtbank van Gent, de lift is stuk"),
    ("fr", "la toiture en tôle ondulée fuit encore au dépôt"),
    ("fr", "on installe la sono au tribunal de police de Namur lundi"),
    ("fr", "le spectacle dans la prison de Lantin, 2 ans de préparation"),
    ("en", "install at the police court in Antwerp, security check at the gate"),
    ("en", "I did 3 years at KU Leuven before this job"),
    ("en", "he did that for years and never complained"),
    ("en", "Tom served 4 years in the army before joining us"),
    ("en", "the van ran a red light on the camera, fine is for the company"),
    ("nl", "de camion staat voor de politierechtbank, kom je helpen lossen?"),
    ("fr", "on décharge le camion devant le tribunal de police à 7h"),
    ("en", "the logo has to appear on the left screen"),
    ("en", "we sent down the truss to the crew, Tom went down for lunch"),
    ("en", "I'm up before the crew arrives, Jan is doing a stretch before lifting"),
    ("fr", "le caisson en tôle est cabossé, Marc le répare"),
    ("fr", "le permis suspendu par la commune, Marc doit appeler l'échevin"),
])
def test_jobs_sick_leave_sheet_metal_and_court_sites_stay_unflagged(scanner, lang, text):
    assert CRIMINAL not in special(scanner, text, lang)
