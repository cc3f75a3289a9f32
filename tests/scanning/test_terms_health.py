"""Health terms (GDPR Art. 9), one test per class of vocabulary in ``special_categories/*/health_conditions.yaml``
and the decoys that keep out of it. Every sentence is written for these tests (none is in an evaluation set)."""
import pytest

from o3_governance.scanning.scan import analyze_one

HEALTH = "HEALTH_DATA"


def categories(scanner, text, lang):
    return {f.entity_type for f in analyze_one(scanner, text, lang)}


def flags_health(scanner, text, lang):
    return HEALTH in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Kobe is colorblind so he can't check the cue colours on the plot"),
    ("en", "the new stagehand is partially sighted, print the running order big"),
    ("en", "the storeman is hard of hearing, call him on the radio not the phone"),
    ("en", "she's deaf in one ear since the festival, stand on her right side"),
    ("fr", "Mehdi est daltonien, il ne peut pas faire le codage couleur des câbles"),
    ("fr", "la nouvelle est malentendante, écris-lui plutôt"),
    ("fr", "le régisseur est malvoyant depuis son accident, agrandis le conducteur"),
    ("nl", "Jelle is kleurenblind, laat hem de kabels niet sorteren"),
    ("nl", "de nieuwe magazijnier is slechthorend, stuur hem een berichtje"),
    ("nl", "Wim is half blind aan zijn rechteroog sinds de val"),
    ("nl", "ze draagt een hoortoestel, praat wat luider tegen haar"),
    ("nl", "onze stagiair is dyslectisch, stuur hem spraakberichten"),
])
def test_sensory_disabilities_said_of_someone_whatever_the_role_word(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "turn on colour blind mode in the lighting software please"),
    ("fr", "active la palette daltonien dans le logiciel de la console"),
    ("nl", "zet de kleurenblind modus aan op het scherm van de console"),
])
def test_a_colour_blind_setting_of_software_is_no_health_data(scanner, lang, text):
    assert not flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "he's been sober for three years, so don't offer him a beer at the wrap party"),
    ("en", "I've been clean for 18 months from heroin, the afterparty is not for me"),
    ("en", "my cousin goes to Narcotics Anonymous every thursday so I'll drive him"),
    ("fr", "il est sobre depuis deux ans, pas d'alcool à sa table"),
    ("fr", "elle va aux Narcotiques Anonymes le jeudi, elle part plus tôt"),
    ("nl", "hij is al drie jaar clean van de drank, geen bier voor hem"),
    ("nl", "ik ga op maandag naar de Anonieme Narcotica, dus ik vertrek om vijf uur"),
    ("en", "she's been on the wagon for a year now, no prosecco for her"),
    ("fr", "il se drogue depuis des années, son frère s'inquiète"),
])
def test_addiction_recovery_and_its_meetings(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "the floor has been clean for days now, good job crew"),
    ("fr", "le design est sobre depuis des années, le client adore"),
    ("nl", "die vloer is al dagen clean, goed gedaan"),
    ("fr", "le DJ se drogue pas, il est juste fatigué"),
])
def test_a_clean_floor_or_a_sober_design_is_no_recovery(scanner, lang, text):
    assert not flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Jens is getting operated on his knee next week, torn meniscus"),
    ("en", "Marta tore her cruciate ligament playing football, out till spring"),
    ("fr", "Julie va se faire opérer de la hanche en mars"),
    ("fr", "Kevin s'est déchiré les ligaments croisés au foot"),
    ("nl", "Lotte laat zich opereren aan haar knie, meniscus gescheurd"),
    ("nl", "Sam kreeg zijn datum voor de schouderoperatie, hij is twee maanden weg"),
    ("en", "Dries had his knee scoped last week, he's on light duty"),
])
def test_surgery_done_to_someone_and_what_it_is_done_on(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("fr", "nous allons opérer depuis le dépôt de Wavre cette saison"),
    ("nl", "we opereren vanuit het magazijn in Gent dit seizoen"),
    ("nl", "hij draagt een elektronische enkelband, dus geen nachtshiften"),
])
def test_operating_a_business_or_an_ankle_monitor_is_no_surgery(scanner, lang, text):
    assert not flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Pieter takes blood thinners so make sure the first aid kit has extra bandages"),
    ("en", "she's on antidepressants, just be a bit gentle with her this month"),
    ("en", "Omar is on lithium for his bipolar, he told me himself"),
    ("fr", "mon père prend des anticoagulants depuis son infarctus"),
    ("fr", "Inès a toujours son inhalateur sur elle, pas de fumée sur scène"),
    ("nl", "mijn pa moet bloedverdunners nemen sinds zijn hartaanval"),
    ("nl", "Sofie spuit insuline tussen de shows, geef haar een rustige plek"),
])
def test_medication_classes(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "ship the lithium batteries separately, they can't go in the flightcase"),
    ("en", "the lab wants their blood thinners logo on the booth screen"),
    ("fr", "le labo veut le logo de son anticoagulant en grand sur le stand"),
    ("nl", "de batterijen met lithium apart verzenden"),
])
def test_lithium_batteries_and_a_pharma_brand_are_no_treatment(scanner, lang, text):
    assert not flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Ruth has cystic fibrosis and misses work for her hospital checks"),
    ("en", "Tom has sickle cell, he gets tired fast in the heat"),
    ("fr", "Sophie a une hémophilie légère, faites attention aux coupures"),
    ("fr", "Yves a la maladie de Huntington, il ne conduit plus"),
    ("nl", "Bart heeft hemofilie, let op met de scherpe profielen"),
    ("nl", "mijn dochter heeft mucoviscidose, ik ben soms weg voor de controles"),
])
def test_hereditary_and_chronic_diseases_of_a_person(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "the cystic fibrosis foundation booked us for their gala"),
    ("fr", "l'association de lutte contre la mucoviscidose veut un écran géant"),
    ("nl", "Nele is drager van het mucoviscidose-gen, dat bleek uit een test"),
])
def test_a_patient_foundation_or_carrying_a_gene_is_no_condition(scanner, lang, text):
    assert not flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "our two riggers have severe nut allergies, no satay at catering"),
    ("fr", "les trois stagiaires ont des allergies au gluten, prévoir autre chose"),
    ("nl", "de twee jobstudenten hebben notenallergie, geen saté op de catering"),
])
def test_allergies_of_several_people(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "both stagehands have the flu, nobody for the load-out"),
    ("fr", "les deux chauffeurs ont la grippe, on cherche des remplaçants"),
    ("nl", "beide chauffeurs hebben de griep, we zoeken vervanging"),
    ("en", "the riggers are sick since tuesday, we need two extra hands"),
    ("nl", "de monteurs zijn ziek sinds maandag, we hebben vervanging nodig"),
    ("en", "the three drivers got food poisoning from the kebab"),
])
def test_flu_said_of_several_people(scanner, lang, text):
    assert flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "that drop was sick, crowd went crazy"),
    ("en", "that new rig is sick, the client loved it"),
    ("en", "the new tracks are sick, play them at the afterparty"),
    ("nl", "die nieuwe tracks zijn ziek goed, speel ze morgen"),
    ("en", "this console is like a grandMA on steroids"),
    ("en", "the crane can be operated remotely by the rigger"),
    ("fr", "son cachet pour le concert est de 2000 euros"),
    ("nl", "volg het 12-stappenplan voor de opbouw"),
    ("nl", "hij draagt een elektronische enkelband, dus na tien uur moet hij binnen zijn"),
    ("en", "the old dimmers are in quarantine until they are pat tested"),
    ("en", "the diabetes association wants a ledwall for their symposium"),
    ("fr", "le stock de gradateurs est en quarantaine jusqu'au contrôle"),
    ("fr", "le labo pharma veut le logo de leur médicament contre le diabète sur la borne"),
    ("nl", "de kabels liggen in quarantaine tot ze nagekeken zijn"),
    ("nl", "de oude console is weer gecrasht, ik breng hem naar de dokter in het magazijn"),
    ("nl", "vraag aan de festival-dokter waar de ehbo-post moet komen"),
    ("nl", "de chauffeur is positief getest op cannabis bij een controle"),
    ("fr", "on va au Kinepolis ce soir avec l'équipe"),
    ("en", "Mr Huntington has sent the invoice for the stage"),
    ("en", "the hearing loop at the venue is broken"),
    ("en", "send the allergy list to the caterer"),
    ("fr", "la liste des allergies pour le traiteur"),
    ("en", "the client has an allergy to cheap fixtures"),
    ("fr", "le patron a une allergie aux réunions du lundi"),
    ("nl", "de baas heeft een allergie voor vergaderingen"),
    ("en", "the two consoles are sick since the firmware update"),
    ("fr", "les projecteurs sont malades depuis hier, ils clignotent"),
    ("nl", "de twee consoles zijn ziek sinds de update"),
])
def test_decoys_stay_unflagged(scanner, lang, text):
    assert not flags_health(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("nl", "de chauffeur is diabeticus, zorg dat hij kan eten tussendoor"),
    ("nl", "Sien is diabetica en heeft haar insuline in de koelbox gelegd"),
])
def test_a_dutch_noun_for_a_person_with_a_condition(scanner, lang, text):
    assert flags_health(scanner, text, lang)


def test_an_organ_taken_out_is_surgery_an_appendix_of_a_document_is_not(scanner):
    assert flags_health(scanner, "Lotte had her appendix out last week, she is back on monday", "en")
    assert not flags_health(scanner, "the load plan is in the appendix of the contract", "en")
