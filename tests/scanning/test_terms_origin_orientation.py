"""Term classes for sexual orientation, ethnic origin, religion and biometrics (issue 13, round 3), with
sentences written for these tests (none is in an evaluation set): a hit about a person for each class of
vocabulary, and for the risky terms a decoy that stays unflagged."""
import pytest

from o3_governance.scanning.scan import analyze_one


def categories(scanner, text, lang):
    return {f.entity_type for f in analyze_one(scanner, text, lang)}


# --- same-sex partners, by name and in every phrasing -----------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("en", "Pieter's husband drops him off at the warehouse every morning"),
    ("en", "Sofie's girlfriend is pregnant, due in March"),
    ("en", "Thomas lives with his boyfriend near the station"),
    ("en", "he is engaged to Brecht, wedding next summer"),
    ("fr", "Sophie et sa copine emménagent ensemble le mois prochain"),
    ("fr", "l'époux de Mathieu nous rejoint au resto ce soir"),
    ("fr", "Thomas s'est marié avec son copain l'été dernier"),
    ("fr", "Émilie vit avec sa compagne à Namur"),
    ("nl", "Lotte woont samen met haar vriendin in Gent"),
    ("nl", "de man van Pieter komt hem straks halen"),
    ("nl", "Jeroen en zijn vriend gaan samenwonen in Leuven"),
    ("nl", "Pieter trouwt met Bram in mei"),
    ("nl", "Lotte haar vriendin is zwanger van hun eerste kindje"),
    ("nl", "hij trouwt volgende maand met Bram, ik ben getuige"),
    ("fr", "il se marie en juin avec Julien"),
    ("en", "he's getting married to Bram next month"),
    ("en", "Tom is dating Bram since the festival"),
])
def test_same_sex_partner_in_any_phrasing_is_sexual_orientation(scanner, lang, text):
    assert "SEXUAL_ORIENTATION" in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "Sofie's girlfriend from school helps at the bar tonight"),
    ("en", "his partner Kevin from the firm signs the quote"),
    ("fr", "Sophie et sa copine viennent nous aider au bar samedi"),
    ("nl", "Pieter werkt samen met Bram aan de stand"),
    ("nl", "Lotte en haar vriendin komen helpen aan de bar"),
    ("nl", "de gay pride wagen moet nog versierd worden"),
    ("en", "we build the float for the Gay Pride in Antwerp on Saturday"),
])
def test_a_friend_or_business_partner_is_no_orientation(scanner, lang, text):
    assert "SEXUAL_ORIENTATION" not in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("nl", "Tom zijn lief komt ook naar de barbecue"),
    ("nl", "Tom zei dat hij gaat trouwen in augustus"),
    ("nl", "Lotte haar lief haalt haar op"),
    ("fr", "Thomas nous a dit qu'il se marie en août"),
    ("en", "Tom said he's getting married in August"),
    ("en", "Tom's fiance is picking him up"),
    ("en", "Tom lives with Bram near the depot, they split the rent"),
])
def test_a_named_persons_own_partner_or_wedding_says_nothing_of_the_partners_sex(scanner, lang, text):
    assert "SEXUAL_ORIENTATION" not in categories(scanner, text, lang)


# --- origin: a parent's nationality or home town abroad, a people --------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("nl", "Lore haar mama is Thaise, ze spreekt het vloeiend"),
    ("nl", "zijn pa is Marokkaans en zijn ma Belgisch"),
    ("nl", "Yusuf zijn ouders kwamen in de jaren 60 uit Afyon"),
    ("nl", "Hanne heeft een Poolse moeder, dus ze kan vertalen"),
    ("nl", "de nieuwe chauffeur is een Rom, zegt de ploegbaas"),
    ("fr", "sa maman est vietnamienne, elle traduira pour le client"),
    ("fr", "ses parents sont venus de Nador dans les années 70"),
    ("fr", "Julie a une mère polonaise"),
    ("en", "his dad is Polish so he'll talk to the drivers"),
    ("en", "her mum's Ghanaian, she grew up in Antwerp"),
    ("en", "Mehmet's parents came from Kayseri in 1968"),
    ("en", "she has a Moroccan father and a Belgian mother"),
    ("nl", "zijn vader is een Marokkaan, zijn moeder een Vlaamse"),
    ("en", "her dad is a Turk from Izmir"),
    ("fr", "son père est originaire de Kinshasa"),
])
def test_a_parents_origin_or_a_people_is_ethnic_origin(scanner, lang, text):
    assert "ETHNIC_ORIGIN" in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("nl", "de Turkse klant zijn vader is ziek"),
    ("nl", "mama kookt vanavond Vietnamees"),
    ("nl", "Ilse haar ouders komen uit Aalst"),
    ("fr", "la cuisine polonaise de sa mère est top"),
    ("fr", "ses parents viennent de Mons"),
    ("en", "mum is cooking Thai tonight"),
    ("en", "the Polish crew's dad jokes are legendary"),
    ("nl", "mijn pa is zwart van het stof na de afbraak"),
    ("en", "my mum's black van is blocking the loading dock"),
])
def test_a_nationality_near_a_parent_word_that_says_nothing_of_origin_stays_unflagged(scanner, lang, text):
    assert "ETHNIC_ORIGIN" not in categories(scanner, text, lang)


# --- biometrics: a person's face or fingers enrolled ---------------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("en", "all new drivers get their fingers scanned at the depot on Monday"),
    ("en", "Jonas did his face enrolment yesterday, the app recognised him"),
    ("nl", "Sara haar gezicht werd gisteren gescand voor de toegang"),
    ("nl", "Bram staat nu in het gezichtsherkenningssysteem van de luchthaven"),
    ("nl", "iedereen moet zijn vingers laten scannen bij de ingang van de fabriek"),
    ("fr", "on a pris une photo de ton visage pour la reconnaissance à l'accueil, Marc"),
])
def test_a_persons_face_or_fingers_enrolled_is_biometric(scanner, lang, text):
    assert "BIOMETRIC_DATA" in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "the supplier sells turnstiles with facial recognition, quote attached"),
    ("en", "we scan the face of the building with the laser tomorrow"),
    ("nl", "de leverancier verkoopt gezichtsherkenningscamera's, offerte volgt"),
    ("nl", "Tom, de vingerafdrukken op het scherm kuisen aub"),
    ("fr", "le fournisseur vend des tourniquets à reconnaissance faciale, devis en pièce jointe"),
    ("nl", "de klant wil tourniquets met vingerafdruklezer op de beurs"),
    ("en", "the vendor demo of the facial recognition gates is at 3pm"),
    ("fr", "le fournisseur propose une pointeuse biométrique, prix sur demande"),
])
def test_biometric_products_and_smudges_stay_unflagged(scanner, lang, text):
    assert "BIOMETRIC_DATA" not in categories(scanner, text, lang)


# --- religion: the feast, not the identity card; a celebration that is only a job ----------------------------

@pytest.mark.parametrize("lang,text", [
    ("en", "Samira is off for Eid next week"),
    ("fr", "Karim ne vient pas lundi, c'est l'Aïd"),
    ("nl", "haar dochter doet haar communie in mei, ze neemt verlof"),
    ("fr", "sa fille fait sa première communion dimanche, elle prend congé"),
])
def test_a_feast_or_sacrament_of_a_person_is_religion(scanner, lang, text):
    assert "RELIGIOUS_BELIEF" in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("en", "double checked with her eID, all good"),
    ("nl", "Jan, steek je eID in de lezer aub"),
    ("nl", "de eID-kaart van Tom is vervallen"),
    ("nl", "vormselviering in Sint-Niklaas, wij doen de tent en de klank"),
    ("fr", "Monsieur Lambert veut un devis pour la communion de son fils"),
])
def test_the_identity_card_and_a_celebration_we_work_for_are_no_religion(scanner, lang, text):
    assert "RELIGIOUS_BELIEF" not in categories(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("nl", "vanaf maandag klokt het personeel in met een vingerscan"),
    ("en", "everyone clocks in with the fingerprint reader from Monday"),
    ("fr", "tout le personnel doit passer par la reconnaissance faciale à l'entrée"),
])
def test_a_biometric_system_applied_to_the_staff_still_counts(scanner, lang, text):
    assert "BIOMETRIC_DATA" in categories(scanner, text, lang)
