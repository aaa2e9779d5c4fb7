# Kontospärr – svenska (standard). Varje nyckel finns också i en/kontosparr.ftl.
app-name = Kontospärr

## Ord som används på många sidor
yes = Ja
no = Nej
lang-name = Svenska
layout-demo-label = DEMO
form-errors-title = Det finns fel i formuläret
form-error-prefix = Fel:

## Roller
role-clinician = Vårdpersonal
role-manager = Verksamhetschef
role-chief_physician = Chefläkare
role-handler = Handläggare (Spärr- och loggservice)
role-auditor = Logguppföljning
role-admin = Administratör

## Huvudmeny
nav-home = Start
nav-cases = Ärenden
nav-new-case = Ny begäran
nav-reviews = Omprövningar
nav-queue = Handläggning
nav-emergency = Nödtelefon
nav-paper = Pappersblankett
nav-search = Sök personnummer
nav-diary = Diarium
nav-users = Användare
nav-units = Enheter
nav-providers = Privata vårdgivare
nav-mail = E-post
nav-account = Mitt konto

## Startsidan
home-title = Start
home-welcome = Välkommen
home-welcome-name = Välkommen, { $name }
home-units = Dina enheter:
home-admin-title = Administration
home-admin-users = lägg till personal, ge roller och enheter, återställ inloggning.
home-admin-units = vårdenheter med verksamhetschef och chefläkarfunktion.

## Mitt konto
account-title = Mitt konto
account-name = Namn
account-hsa-id = HSA-id
account-roles = Roller
account-units = Enheter
account-units-none = Inga
account-decider = Får fatta beslut
account-help = Behöver du nytt lösenord eller ny autentiseringsapp? Kontakta administratören, som kan ge dig en ny aktiveringslänk.
account-lang-title = Språk
account-lang-legend = Språk för sidorna och din e-post
account-lang-hint = Gäller för dig från nästa sida. Den som inte har valt något får svenska.
account-lang-submit = Spara språk
account-lang-saved = Språket är sparat.

## Utloggad
logged-out-title = Du är utloggad
logged-out-text = Din session är avslutad. Stäng webbläsaren om du använder en gemensam dator.
logged-out-login = Logga in igen

## Lösenord
password-title-first = Välj lösenord
password-title-change = Byt lösenord
password-intro-first-before = Välkommen till Kontospärr. Välj ett lösenord för kontot
password-intro-first-after = . Därefter kopplar du en autentiseringsapp till kontot.
password-intro-change-before = Du loggade in med ett tillfälligt lösenord. Välj ett eget lösenord för kontot
password-new = Nytt lösenord
password-new-hint = Minst 12 tecken. En fras av flera ord är både säker och lätt att komma ihåg. Vanliga lösenord godtas inte.
password-confirm = Upprepa lösenordet
password-never-refilled = Av säkerhetsskäl fylls lösenordsfälten aldrig i på nytt.
password-submit = Spara lösenord

## Tvåfaktorsinloggning
totp-title = Tvåfaktorsinloggning
totp-heading = Koppla en autentiseringsapp
totp-intro = Inloggningen kräver två faktorer: ditt lösenord och en kod från en autentiseringsapp i din telefon (till exempel Microsoft Authenticator, Google Authenticator eller FreeOTP).
totp-step-open = Öppna appen och välj att lägga till ett konto.
totp-step-scan = Skanna QR-koden nedan.
totp-manual = Går det inte att skanna? Skriv in den här nyckeln i appen i stället:
totp-step-code = Skriv koden som appen visar.
totp-code = Kod från appen
totp-code-hint = Sex siffror.
totp-submit = Bekräfta

## Reservkoder
recovery-title = Spara dina reservkoder
recovery-intro = Autentiseringsappen är kopplad och du är inloggad. Om du tappar telefonen kan du logga in med en av koderna nedan i stället för en kod från appen. Varje kod fungerar en gång.
recovery-once = Koderna visas bara nu.
recovery-keep = Skriv ut sidan eller skriv av koderna och förvara dem inlåst, inte i telefonen.
recovery-continue = Jag har sparat koderna – fortsätt

## Felsidor
error-forbidden-title = Åtkomst nekad
error-forbidden = Du har inte behörighet till den här sidan eller uppgiften. Försöket har loggats. Kontakta din administratör om du behöver behörigheten.
error-not-found-title = Sidan finns inte
error-not-found = Det du sökte finns inte, eller så har det tagits bort. Kontrollera adressen.
error-no-page-title = Sidan finns inte
error-no-page = Det finns ingen sida på den adressen. Kontrollera adressen eller gå till startsidan.
error-link-title = Länken fungerar inte
error-refused-title = Det gick inte
error-conflict-title = Ärendet har ändrats
error-bad-request-title = Felaktig begäran
error-bad-request = Uppgifterna kunde inte tolkas. Gå tillbaka och försök igen.
error-nul-title = Otillåtet tecken
error-csrf-title = Formuläret kunde inte skickas
error-csrf = Sidan var för gammal eller skickades från en annan webbplats. Ladda om sidan och försök igen.
error-rate-title = För många försök
error-too-large-title = För mycket data
error-too-large = Formuläret innehöll mer data än tillåtet. Korta texterna och försök igen.
error-unsupported-title = Formuläret kunde inte tolkas
error-unsupported = Formuläret skickades på ett sätt som tjänsten inte tar emot.
error-internal-title = Något gick fel
error-internal = Ett tekniskt fel inträffade och ingenting har sparats. Försök igen om en stund. Kvarstår felet, kontakta support och ange referensen nedan.
error-render = Ett tekniskt fel inträffade.
error-code = Felkod { $code }.
error-reference = Referens:
error-home-link = Till startsidan

## Meddelanden från tjänsterna (messages.rs)
msg-rate-limited = För många inloggningsförsök från din dator. Vänta några minuter och försök igen.
msg-required = Fyll i fältet.
msg-too-long = Texten är för lång: högst { $max } tecken.
msg-control-chars = Texten innehåller ett otillåtet tecken, till exempel en radbrytning eller ett styrtecken. Skriv den på en rad med vanliga tecken.
msg-nul-refused = Begäran innehöll ett nolltecken (NUL, %00 eller \u0000), som tjänsten inte tar emot. Ta bort tecknet och försök igen.
msg-password-mismatch = Lösenorden är inte lika. Skriv samma lösenord två gånger.
msg-password-same-as-temporary = Välj ett annat lösenord än det tillfälliga.
msg-password-too-short = Lösenordet måste ha minst 12 tecken.
msg-password-too-long = Lösenordet får ha högst 128 tecken.
msg-password-common = Lösenordet är för vanligt eller för enkelt. Välj en längre fras som inte är lätt att gissa.
msg-password-contains-id = Lösenordet får inte innehålla ditt HSA-id.
msg-totp-wrong = Koden stämmer inte. Kontrollera att klockan i telefonen går rätt och skriv den kod som visas nu.
msg-link-invalid = Länken går inte att använda: den är redan använd, har gått ut eller är felaktig. Be administratören om en ny länk.
msg-email-invalid = Skriv en e-postadress, till exempel anna.andersson@vgregion.se.
msg-unavailable-title = Tjänsten är tillfälligt otillgänglig
msg-unavailable = Databasen svarar inte just nu, så ingenting har sparats. Försök igen om en stund. Kvarstår felet, kontakta support och ange referensen nedan.
msg-secret-unreadable = Tvåfaktorsuppgifterna kunde inte läsas. Kontakta support och ange referensen nedan.
msg-hsa-empty = Fyll i HSA-id.
msg-hsa-format = Skriv HSA-id som SE, tio siffror, bindestreck och ett suffix, till exempel SE2321000131-P000000012345.
msg-hsa-taken = Det finns redan en användare med detta HSA-id.
msg-role-required = Välj minst en roll.
msg-unit-required = Vårdpersonal, verksamhetschefer och chefläkare måste höra till minst en enhet.
msg-unit-unknown = Enheten finns inte.
msg-unit-code-invalid = Enhetskoden får bara innehålla bokstäver A–Z, siffror och bindestreck (högst 32 tecken).
msg-unit-code-taken = Det finns redan en enhet med denna kod.
msg-manager-invalid = Välj en aktiv användare med rollen verksamhetschef.
msg-org-invalid = Skriv ett organisationsnummer med tio siffror, till exempel 556677-8899 (kontrollsiffran stämmer inte annars).
msg-org-taken = Vårdgivaren finns redan i listan.
msg-lang-invalid = Välj svenska eller engelska.
msg-pnr-empty = Fyll i personnummer eller samordningsnummer.
msg-pnr-format = Skriv personnumret som ÅÅÅÅMMDD-NNNN, till exempel 19121212-1212.
msg-pnr-date = Personnumret innehåller inget giltigt datum. Kontrollera siffrorna.
msg-pnr-future = Födelsedatumet i personnumret ligger i framtiden. Kontrollera siffrorna.
msg-pnr-check-digit = Personnumret är inte giltigt (kontrollsiffran stämmer inte). Kontrollera siffrorna.
msg-pnr-serial = Personnumret är inte giltigt: födelsenumret (de tre siffrorna efter bindestrecket) kan inte vara 000. Kontrollera siffrorna.
msg-cert-too-large = Certifikatet är för stort (högst 20 000 tecken).
msg-cert-not-pem = Filen är inte ett certifikat i PEM-format.
msg-cert-not-yet-valid = Certifikatet gäller inte förrän { $date }.
msg-cert-expired = Certifikatet gick ut { $date }.
msg-cert-no-encryption = Certifikatet får inte användas för kryptering (nyckelanvändning saknar keyEncipherment/keyAgreement).
msg-cert-not-for-email = Certifikatet får inte användas för e-post (utökad nyckelanvändning saknar emailProtection).
msg-own-admin-access = Du kan inte inaktivera dig själv eller ta bort din egen administratörsroll.
msg-admin-exists = Det finns redan en administratör. Lägg till fler i webbgränssnittet (Administration → Användare).
msg-mail-no-recipient = Meddelandet har ingen mottagare: ange en verksamhetschef för enheten och verkställ om återkopplingen manuellt.
msg-mail-not-failed = Bara misslyckade meddelanden kan skickas igen.
msg-file-required = Välj en fil.
msg-file-too-large = Filen är för stor: högst { $max } MB.
msg-file-not-pdf = Filen är inte en PDF. Skanna blanketten till PDF och försök igen.

## Administration, gemensamt
admin-name = Namn
admin-status = Status
admin-action = Åtgärd
admin-save = Spara
admin-back-to-users = Tillbaka till användare
admin-back-to-units = Tillbaka till enheter

## Administration: användare
admin-users-title = Användare
admin-users-search = Sök på namn eller HSA-id
admin-users-search-submit = Sök
admin-users-count = { $n } användare.
admin-users-none = Inga användare hittades.
admin-user-status-active = Aktiv
admin-user-status-disabled = Inaktiverad
admin-user-status-not-enrolled = (ej aktiverad)
admin-user-new-title = Ny användare
admin-user-edit-title = Ändra användare
admin-user-saved = Ändringarna är sparade.
admin-user-not-saved = Det gick inte att spara
admin-user-hsa-hint = SE, tio siffror, bindestreck och suffix, till exempel SE2321000131-P000000012345.
admin-user-email = E-post
admin-user-email-hint = Tjänsteadress. Påminnelser och återkoppling skickas hit.
admin-user-add-unit = Lägg till en enhet
admin-user-decider-legend = Behörighet att besluta
admin-user-decider = Får fatta beslut om låsning och upplåsning (legitimerad personal med behandlingsansvar, verksamhetschef eller medicinskt ansvarig läkare)
admin-user-account-legend = Konto
admin-user-active = Aktivt (ett inaktiverat konto kan inte logga in, och pågående inloggningar avslutas)
admin-user-login-title = Inloggning
admin-user-reset-text = Återställ inloggningen om användaren har glömt lösenordet eller tappat telefonen. Lösenord, autentiseringsapp och reservkoder tas bort, pågående inloggningar avslutas och en ny aktiveringslänk skapas.
admin-user-reset = Återställ inloggning
admin-link-title = Aktiveringslänk
admin-link-heading = Aktiveringslänk för { $name }
admin-link-account = Kontot
admin-link-ready = är klart. Ge användaren länken nedan på ett säkert sätt (till exempel personligen eller i krypterad e-post). Med länken väljer användaren lösenord och kopplar en autentiseringsapp.
admin-link-valid = Länken fungerar en gång och i { $n } timmar.
admin-link-once = Den visas bara nu.

## Administration: enheter
admin-units-title = Enheter
admin-units-count = { $n } enheter.
admin-units-empty = Det finns inga enheter än.
admin-units-code = Kod
admin-units-chief = Chefläkarfunktion
admin-units-no-manager = verksamhetschef saknas
admin-unit-new-title = Ny enhet
admin-unit-edit-title = Ändra enhet
admin-unit-saved = Enheten är sparad.
admin-unit-code = Enhetskod
admin-unit-code-hint = Kort kod, till exempel PSYK-SU.
admin-unit-manager = Verksamhetschef
admin-unit-manager-hint = Får återkoppling och påminnelser om omprövning. Användaren måste ha rollen verksamhetschef.
admin-unit-manager-none = Ingen vald
admin-unit-chief = Chefläkare eller utsedd funktion
admin-unit-chief-hint = Informeras om varje beslut om låsning.
admin-unit-chief-email = Chefläkarfunktionens e-post
admin-unit-active = Aktiv
admin-unit-inactive = Inaktiv
admin-cert-title = Certifikat för krypterad återkoppling
admin-cert-subject = Innehavare
admin-cert-validity = Giltigt
admin-cert-status = Status
admin-cert-fingerprint = SHA-256
admin-cert-none = Enheten har inget certifikat. Återkoppling skickas då som en avisering utan personuppgifter, med en länk för att läsa den efter inloggning.
admin-cert-pem = Verksamhetschefens certifikat (PEM)
admin-cert-pem-hint = Klistra in certifikatet, från -----BEGIN CERTIFICATE----- till -----END CERTIFICATE-----. Det måste vara giltigt och få användas för krypterad e-post.
admin-cert-submit = Spara certifikat
admin-cert-expired = Utgånget – återkoppling skickas som avisering utan personuppgifter. Lägg in ett nytt.
admin-cert-expiring = Går ut om { $n } dagar – lägg in ett nytt i god tid.
admin-cert-valid = Giltigt ({ $n } dagar kvar)

## Administration: privata vårdgivare
admin-providers-title = Vårdgivare utanför regionen
admin-providers-intro = Andra offentliga vårdgivare (en annan region, en kommun) och privata vårdgivare på listan över godkända vårdgivare får skriva under begäran om låsning eller upplåsning. Handläggaren kontrollerar privata vårdgivare mot listan och, när vårdgivarens personal saknar regionalt id, identiteten per telefon.
admin-providers-saved = Listan är uppdaterad.
admin-providers-count = { $n } vårdgivare.
admin-providers-caption = Vårdgivare utanför regionen
admin-providers-org = Organisationsnummer
admin-providers-org-hint = Tio siffror, till exempel 556677-8899.
admin-providers-approved = Godkänd
admin-providers-removed = Borttagen
admin-providers-remove = Ta bort från listan
admin-providers-approve = Lägg tillbaka
admin-providers-add-title = Lägg till vårdgivare
admin-providers-add = Lägg till
admin-providers-kind = Typ
admin-providers-regional-id = Regionalt id
admin-yes = Ja
admin-no = Nej
admin-providers-registered = Registrerad
admin-providers-kind-legend = Typ av vårdgivare
admin-providers-regional-id-label = Vårdgivarens personal har regionens id (VGR-ID); identiteten behöver inte kontrolleras per telefon
admin-providers-kind-public = Annan offentlig vårdgivare (annan region, kommun)
admin-providers-kind-private = Privat vårdgivare (godkänd)
admin-providers-kind-unknown = Okänd
admin-unit-mal = Medicinskt ansvarig läkare (MAL)
admin-unit-mal-hint = Signerar på enhetens ärenden som MAL. Användaren måste få fatta beslut.
admin-unit-mal-none = Ingen vald

## Administration: e-post
admin-mail-title = E-post som inte kunde skickas
admin-mail-intro = Meddelanden som e-postservern avvisade permanent, eller som saknar mottagare. Åtgärda orsaken (till exempel enhetens verksamhetschef eller e-postadress) och skicka igen. Meddelanden som väntar på ett nytt försök visas inte här; de skickas automatiskt.
admin-mail-requeued = Meddelandet ligger i utkorgen igen och skickas strax.
admin-mail-count = { $n } meddelanden.
admin-mail-pending = Väntar i utkorgen just nu: { $n }.
admin-mail-caption = Misslyckade meddelanden
admin-mail-created = Skapat
admin-mail-case = Ärende
admin-mail-case-no = nr { $n }
admin-mail-recipient = Mottagare
admin-mail-no-recipient = saknas
admin-mail-type = Typ
admin-mail-encrypted = Krypterad
admin-mail-notice = Avisering
admin-mail-attempts = Försök
admin-mail-error = Fel
admin-mail-resend = Skicka igen
admin-mail-resend-which = (meddelande { $n })

## E-post: återkoppling (ämnesraden utan personuppgifter)
mail-feedback-subject = Återkoppling från Spärr- och loggservice
mail-feedback-lock-executed = Låsning av invånarens inloggning på 1177.se är verkställd.
mail-feedback-unlock-executed = Upplåsning av invånarens inloggning på 1177.se är verkställd.
mail-feedback-diary = Diarienummer
mail-feedback-related = (hänvisar till { $number })
mail-feedback-citizen = Invånare
mail-feedback-unit = Enhet
mail-feedback-executed = Verkställd
mail-feedback-executed-by = { $at } av
mail-feedback-open = Öppna ärendet
mail-feedback-case = Ärendet
mail-feedback-encrypted = Meddelandet är krypterat och får inte vidarebefordras okrypterat.
mail-notice-text = Ett ärende från er enhet om inloggningen på 1177.se har verkställts. Av sekretesskäl står inga uppgifter om ärendet i detta meddelande.
mail-notice-login = Logga in i Kontospärr för att läsa återkopplingen
mail-notice-certificate = Enheten har inget giltigt certifikat för krypterad e-post. Be administratören lägga in ett, så kan återkopplingen i fortsättningen komma krypterad.

## E-post: påminnelser (inga personuppgifter)
mail-reminder-login = Logga in i Kontospärr
mail-reminder-no-personal-data = Av sekretesskäl står inga uppgifter om invånaren i detta meddelande.
mail-review-subject = Påminnelse: omprövning av låst inloggning på 1177.se
mail-review-subject-overdue = Försenad omprövning av låst inloggning på 1177.se
mail-review-intro = En invånares inloggning på 1177.se är låst på begäran av er enhet och ska omprövas: behövs låsningen fortfarande?
mail-review-overdue = Omprövningen skulle ha gjorts { $date } och är försenad.
mail-review-today = Omprövningen ska göras i dag.
mail-review-by = Omprövningen ska göras senast { $date }.
mail-review-action = Logga in i Kontospärr och öppna Omprövningar.
mail-form-subject = Påminnelse: blankett saknas efter låsning via nödtelefon
mail-form-intro = En invånares inloggning på 1177.se låstes efter ett samtal till KSD:s nödtelefon från er enhet. Den skriftliga blanketten har ännu inte kommit till Spärr- och loggservice.
mail-form-citizen = Låsningen gjordes på invånarens uppdrag: hjälp invånaren att skicka in blanketten.
mail-form-send = Skicka in blanketten så snart som möjligt.

## Inloggning och sidramen
login-title = Logga in
login-intro = Logga in med ditt HSA-id, ditt lösenord och koden från autentiseringsappen i din telefon.
login-failed-title = Inloggningen misslyckades
login-hsa-id = HSA-id
login-hsa-id-hint = Till exempel SE2321000131-P000000012345.
login-password = Lösenord
login-code = Engångskod
login-code-hint = Sex siffror från autentiseringsappen, eller en av dina reservkoder. Första gången du loggar in med ett tillfälligt lösenord lämnar du fältet tomt.
login-submit = Logga in
login-demo-title = Demokonton
login-demo-intro = Alla demokonton har lösenordet
login-demo-codes = Engångskoden nedan gäller i 30 sekunder; ladda om sidan för en ny. Varje kod fungerar en gång.
login-demo-role = Roll
login-demo-name = Namn
login-demo-code = Kod nu
login-forgot = Har du glömt lösenordet eller tappat telefonen? Kontakta administratören, som kan ge dig en ny aktiveringslänk.
login-error-failed = Inloggningen misslyckades. Kontrollera HSA-id, lösenord och kod. Efter fem misslyckade försök från samma dator får du vänta 15 minuter innan du kan försöka igen därifrån.
login-error-rate = För många inloggningsförsök från din dator. Vänta några minuter och försök igen.
layout-skip = Hoppa till innehållet
layout-demo = övningsmiljö med påhittade personer och kända lösenord. Använd aldrig riktiga uppgifter här.
layout-main-menu = Huvudmeny
layout-logout = Logga ut
layout-footer = Kontospärr – låsning och upplåsning av invånarens inloggning på 1177.se. All åtkomst loggas.

# --- rules ---
rules-diary-title = Diarium
rules-diary-intro = Registrerade ärenden efter diarienummer, med registreringsdatum och typ. Diariet innehåller inga uppgifter om invånaren och kan skrivas ut för ett helt år.
rules-diary-year = År
rules-diary-show = Visa
rules-diary-count = registrerade ärenden.
rules-diary-print-link = Skriv ut hela året
rules-diary-pages = Sidor i diariet
rules-diary-first = Till början
rules-diary-next = Nästa sida
rules-diary-col-number = Diarienummer
rules-diary-col-date = Registrerat
rules-diary-col-kind = Typ
rules-diary-col-reference = Hänvisning
rules-diary-col-channel = Kanal
rules-diary-col-status = Status
rules-diary-refers-to = Upplåser
rules-diary-back = Tillbaka till diariet
rules-diary-printed = Utskrivet
rules-diary-print-hint = Hela årets diarium på en sida. Skriv ut med webbläsarens utskriftsfunktion.
rules-diary-empty = Inga registrerade ärenden detta år.
