# Kontospärr – English. Every key also exists in sv/kontosparr.ftl.
app-name = Kontospärr

## Words used on many pages
yes = Yes
no = No
lang-name = English
layout-demo-label = DEMO
form-errors-title = There is a problem with the form
form-error-prefix = Error:

## Roles
role-clinician = Clinician
role-manager = Head of unit
role-chief_physician = Chief physician
role-handler = Case handler (Lock and Log Service)
role-auditor = Log auditor
role-admin = Administrator

## Main menu
nav-home = Home
nav-cases = Cases
nav-now = Is the citizen locked?
nav-new-case = New request
nav-reviews = Reviews
nav-queue = Case handling
nav-emergency = Emergency line
nav-paper = Paper form
nav-search = Search personal identity number
nav-diary = Register
nav-audit-search = Search the log
nav-audit-extract = Log extract
nav-audit-review = To review
nav-audit-checks = Log follow-up
nav-users = Users
nav-units = Units
nav-providers = Care providers
nav-mail = Email
nav-account = My account

## Home page
home-title = Home
home-welcome = Welcome
home-welcome-name = Welcome, { $name }
home-units = Your units:
home-admin-title = Administration
home-admin-users = add staff, assign roles and units, reset logins.
home-admin-units = care units with their head of unit and chief physician function.

## My account
account-title = My account
account-name = Name
account-hsa-id = HSA-ID
account-roles = Roles
account-units = Units
account-units-none = None
account-decider = May make decisions
account-help = Need a new password or a new authenticator app? Contact your administrator, who can give you a new activation link.
account-lang-title = Language
account-lang-legend = Language of the pages and your email
account-lang-hint = Applies to you from the next page on. Anyone who has not chosen gets Swedish.
account-lang-submit = Save language
account-lang-saved = Your language has been saved.

## Logged out
logged-out-title = You are logged out
logged-out-text = Your session has ended. Close the browser if you are using a shared computer.
logged-out-login = Log in again

## Password
password-title-first = Choose a password
password-title-change = Change your password
password-intro-first-before = Welcome to Kontospärr. Choose a password for the account
password-intro-first-after = . After that you will connect an authenticator app to the account.
password-intro-change-before = You logged in with a temporary password. Choose a password of your own for the account
password-new = New password
password-new-hint = At least 12 characters. A phrase of several words is both secure and easy to remember. Common passwords are not accepted.
password-confirm = Repeat the password
password-never-refilled = For security reasons, password fields are never filled in again.
password-submit = Save password

## Two-factor login
totp-title = Two-factor login
totp-heading = Connect an authenticator app
totp-intro = Logging in takes two factors: your password and a code from an authenticator app on your phone (for example Microsoft Authenticator, Google Authenticator or FreeOTP).
totp-step-open = Open the app and choose to add an account.
totp-step-scan = Scan the QR code below.
totp-manual = Can't scan it? Type this key into the app instead:
totp-step-code = Enter the code the app shows.
totp-code = Code from the app
totp-code-hint = Six digits.
totp-submit = Confirm

## Recovery codes
recovery-title = Save your recovery codes
recovery-intro = The authenticator app is connected and you are logged in. If you lose your phone, you can log in with one of the codes below instead of a code from the app. Each code works once.
recovery-once = The codes are shown only now.
recovery-keep = Print this page or copy the codes and keep them locked away, not on your phone.
recovery-continue = I have saved the codes – continue

## Error pages
error-forbidden-title = Access denied
error-forbidden = You do not have permission for this page or task. The attempt has been logged. Contact your administrator if you need the permission.
error-not-found-title = Page not found
error-not-found = What you were looking for does not exist, or it has been removed. Check the address.
error-no-page-title = Page not found
error-no-page = There is no page at that address. Check the address or go to the home page.
error-link-title = The link does not work
error-refused-title = That was not possible
error-conflict-title = The case has changed
error-bad-request-title = Invalid request
error-bad-request = The information could not be read. Go back and try again.
error-nul-title = Character not allowed
error-csrf-title = The form could not be sent
error-csrf = The page was too old or was sent from another website. Reload the page and try again.
error-rate-title = Too many attempts
error-too-large-title = Too much data
error-too-large = The form contained more data than allowed. Shorten the texts and try again.
error-unsupported-title = The form could not be read
error-unsupported = The form was sent in a way the service does not accept.
error-internal-title = Something went wrong
error-internal = A technical error occurred and nothing has been saved. Try again in a while. If the problem persists, contact support and give the reference below.
error-render = A technical error occurred.
error-code = Error code { $code }.
error-reference = Reference:
error-home-link = Go to the home page

## Messages from the services (messages.rs)
msg-rate-limited = Too many login attempts from your computer. Wait a few minutes and try again.
msg-required = Fill in this field.
msg-too-long = The text is too long: at most { $max } characters.
msg-control-chars = The text contains a character that is not allowed, such as a line break or a control character. Write it on one line with ordinary characters.
msg-nul-refused = The request contained a null character (NUL, %00 or \u0000), which the service does not accept. Remove the character and try again.
msg-password-mismatch = The passwords do not match. Type the same password twice.
msg-password-same-as-temporary = Choose a password other than the temporary one.
msg-password-too-short = The password must have at least 12 characters.
msg-password-too-long = The password may have at most 128 characters.
msg-password-common = The password is too common or too simple. Choose a longer phrase that is not easy to guess.
msg-password-contains-id = The password must not contain your HSA-ID.
msg-totp-wrong = The code is not right. Check that the clock on your phone is correct and enter the code shown now.
msg-link-invalid = The link cannot be used: it has already been used, has expired or is incorrect. Ask your administrator for a new link.
msg-email-invalid = Enter an email address, for example anna.andersson@vgregion.se.
msg-unavailable-title = The service is temporarily unavailable
msg-unavailable = The database is not responding right now, so nothing has been saved. Try again in a while. If the problem persists, contact support and give the reference below.
msg-secret-unreadable = The two-factor details could not be read. Contact support and give the reference below.
msg-hsa-empty = Fill in the HSA-ID.
msg-hsa-format = Write the HSA-ID as SE, ten digits, a hyphen and a suffix, for example SE2321000131-P000000012345.
msg-hsa-taken = There is already a user with this HSA-ID.
msg-role-required = Choose at least one role.
msg-unit-required = Clinicians, heads of unit and chief physicians must belong to at least one unit.
msg-unit-unknown = The unit does not exist.
msg-unit-code-invalid = The unit code may contain only the letters A–Z, digits and hyphens (at most 32 characters).
msg-unit-code-taken = There is already a unit with this code.
msg-manager-invalid = Choose an active user with the role head of unit.
msg-org-invalid = Enter an organisation number of ten digits, for example 556677-8899 (otherwise the check digit does not match).
msg-org-taken = The care provider is already on the list.
msg-lang-invalid = Choose Swedish or English.
msg-pnr-empty = Fill in the personal identity number or coordination number.
msg-pnr-format = Write the personal identity number as YYYYMMDD-NNNN, for example 19121212-1212.
msg-pnr-date = The personal identity number does not contain a valid date. Check the digits.
msg-pnr-future = The date of birth in the personal identity number is in the future. Check the digits.
msg-pnr-check-digit = The personal identity number is not valid (the check digit does not match). Check the digits.
msg-pnr-serial = The personal identity number is not valid: the serial number (the three digits after the hyphen) cannot be 000. Check the digits.
msg-cert-too-large = The certificate is too large (at most 20,000 characters).
msg-cert-not-pem = The file is not a certificate in PEM format.
msg-cert-not-yet-valid = The certificate is not valid until { $date }.
msg-cert-expired = The certificate expired on { $date }.
msg-cert-no-encryption = The certificate may not be used for encryption (its key usage lacks keyEncipherment/keyAgreement).
msg-cert-not-for-email = The certificate may not be used for email (its extended key usage lacks emailProtection).
msg-own-admin-access = You cannot deactivate yourself or remove your own administrator role.
msg-admin-exists = There is already an administrator. Add more in the web interface (Administration → Users).
msg-mail-no-recipient = The message has no recipient: set a head of unit for the unit and send the feedback manually.
msg-mail-not-failed = Only failed messages can be sent again.
msg-file-required = Choose a file.
msg-file-too-large = The file is too large: at most { $max } MB.
msg-file-not-pdf = The file is not a PDF. Scan the form to PDF and try again.

## Administration, shared
admin-name = Name
admin-status = Status
admin-action = Action
admin-save = Save
admin-back-to-users = Back to users
admin-back-to-units = Back to units

## Administration: users
admin-users-title = Users
admin-users-search = Search by name or HSA-ID
admin-users-search-submit = Search
list-count-more-than = More than { $n }.
admin-users-count = { $n ->
    [one] { $n } user.
   *[other] { $n } users.
}
admin-users-none = No users found.
admin-user-status-active = Active
admin-user-status-disabled = Deactivated
admin-user-status-not-enrolled = (not activated)
admin-user-new-title = New user
admin-user-edit-title = Edit user
admin-user-saved = The changes have been saved.
admin-user-not-saved = The changes could not be saved
admin-user-hsa-hint = SE, ten digits, a hyphen and a suffix, for example SE2321000131-P000000012345.
admin-user-email = Email
admin-user-email-hint = Work address. Reminders and feedback are sent here.
admin-user-add-unit = Add a unit
admin-user-decider-legend = Authority to decide
admin-user-decider = May decide on locking and unlocking (licensed staff with treatment responsibility, head of unit or medically responsible physician)
admin-user-account-legend = Account
admin-user-active = Active (a deactivated account cannot log in, and ongoing logins are ended)
admin-user-login-title = Login
admin-user-reset-text = Reset the login if the user has forgotten the password or lost their phone. The password, authenticator app and recovery codes are removed, ongoing logins are ended and a new activation link is created.
admin-user-reset = Reset login
admin-link-title = Activation link
admin-link-heading = Activation link for { $name }
admin-link-account = The account
admin-link-ready = is ready. Give the user the link below in a secure way (for example in person or by encrypted email). With the link, the user chooses a password and connects an authenticator app.
admin-link-valid = { $n ->
    [one] The link works once and for { $n } hour.
   *[other] The link works once and for { $n } hours.
}
admin-link-once = It is shown only now.

## Administration: units
admin-units-title = Units
admin-units-count = { $n ->
    [one] { $n } unit.
   *[other] { $n } units.
}
admin-units-empty = There are no units yet.
admin-units-code = Code
admin-units-chief = Chief physician function
admin-units-no-manager = no head of unit
admin-unit-new-title = New unit
admin-unit-edit-title = Edit unit
admin-unit-saved = The unit has been saved.
admin-unit-code = Unit code
admin-unit-code-hint = A short code, for example PSYK-SU.
admin-unit-manager = Head of unit
admin-unit-manager-hint = Receives feedback and review reminders. The user must have the role head of unit.
admin-unit-manager-none = None chosen
admin-unit-chief = Chief physician or designated function
admin-unit-chief-hint = Informed of every decision to lock.
admin-unit-chief-email = Email of the chief physician function
admin-unit-active = Active
admin-unit-inactive = Inactive
admin-cert-title = Certificate for encrypted feedback
admin-cert-subject = Holder
admin-cert-validity = Valid
admin-cert-status = Status
admin-cert-fingerprint = SHA-256
admin-cert-none = The unit has no certificate. Feedback is then sent as a notice without personal data, with a link to read it after logging in.
admin-cert-pem = The head of unit's certificate (PEM)
admin-cert-pem-hint = Paste the certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. It must be valid and allowed for encrypted email.
admin-cert-submit = Save certificate
admin-cert-expired = Expired – feedback is sent as a notice without personal data. Add a new one.
admin-cert-expiring = { $n ->
    [one] Expires in { $n } day – add a new one in good time.
   *[other] Expires in { $n } days – add a new one in good time.
}
admin-cert-valid = { $n ->
    [one] Valid ({ $n } day left)
   *[other] Valid ({ $n } days left)
}

## Administration: private care providers
admin-providers-title = Care providers outside the region
admin-providers-intro = Other public care providers (another region, a municipality) and private care providers on the list of approved providers may sign a request to lock or unlock. The handler checks private providers against the list and, when the provider's staff have no regional id, their identity by telephone.
admin-providers-saved = The list has been updated.
admin-providers-count = { $n ->
    [one] { $n } care provider.
   *[other] { $n } care providers.
}
admin-providers-caption = Care providers outside the region
admin-providers-org = Organisation number
admin-providers-org-hint = Ten digits, for example 556677-8899.
admin-providers-approved = Approved
admin-providers-removed = Removed
admin-providers-remove = Remove from the list
admin-providers-approve = Put back on the list
admin-providers-add-title = Add a care provider
admin-providers-add = Add
admin-providers-kind = Type
admin-providers-regional-id = Regional id
admin-yes = Yes
admin-no = No
admin-providers-registered = Registered
admin-providers-kind-legend = Type of care provider
admin-providers-regional-id-label = The provider's staff have the region's id (VGR-ID); their identity need not be checked by telephone
admin-providers-kind-public = Other public care provider (another region, a municipality)
admin-providers-kind-private = Private care provider (approved)
admin-providers-kind-unknown = Unknown
admin-unit-mal = Medical lead physician (MAL)
admin-unit-mal-hint = Signs the unit's cases as MAL. The user must be allowed to decide.
admin-unit-mal-none = None chosen

## Administration: email
admin-mail-title = Email that could not be sent
admin-mail-intro = Messages that the mail server rejected permanently, or that have no recipient. Fix the cause (for example the unit's head of unit or email address) and send again. Messages waiting for another attempt are not shown here; they are sent automatically.
admin-mail-requeued = The message is back in the outbox and will be sent shortly.
admin-mail-count = { $n ->
    [one] { $n } message.
   *[other] { $n } messages.
}
admin-mail-pending = Waiting in the outbox right now: { $n }.
admin-mail-caption = Failed messages
admin-mail-created = Created
admin-mail-case = Case
admin-mail-case-no = no. { $n }
admin-mail-recipient = Recipient
admin-mail-no-recipient = missing
admin-mail-type = Type
admin-mail-encrypted = Encrypted
admin-mail-notice = Notice
admin-mail-attempts = Attempts
admin-mail-error = Error
admin-mail-resend = Send again
admin-mail-resend-which = (message { $n })

## Email: feedback (no personal data in the subject)
mail-feedback-subject = Feedback from the Lock and Log Service
mail-feedback-lock-executed = The lock of the citizen's login to 1177.se has been carried out.
mail-feedback-unlock-executed = The unlock of the citizen's login to 1177.se has been carried out.
mail-feedback-diary = Register number
mail-feedback-related = (refers to { $number })
mail-feedback-citizen = Citizen
mail-feedback-unit = Unit
mail-feedback-executed = Carried out
mail-feedback-executed-by = { $at } by
mail-feedback-open = Open the case
mail-feedback-case = The case
mail-feedback-encrypted = This message is encrypted and must not be forwarded unencrypted.
mail-notice-text = A case from your unit about a login to 1177.se has been carried out. For confidentiality reasons this message contains no details of the case.
mail-notice-login = Log in to Kontospärr to read the feedback
mail-notice-certificate = The unit has no valid certificate for encrypted email. Ask your administrator to add one, so that future feedback can arrive encrypted.

## Email: reminders (no personal data)
mail-reminder-login = Log in to Kontospärr
mail-reminder-no-personal-data = For confidentiality reasons this message contains no details of the citizen.
mail-review-subject = Reminder: review of a locked login to 1177.se
mail-review-subject-overdue = Overdue review of a locked login to 1177.se
mail-review-intro = A citizen's login to 1177.se is locked at your unit's request and is due for review: is the lock still needed?
mail-review-overdue = The review should have been done on { $date } and is overdue.
mail-review-today = The review is due today.
mail-review-by = The review is due by { $date }.
mail-review-action = Log in to Kontospärr and open Reviews.
mail-form-subject = Reminder: form missing after a lock through the emergency line
mail-form-intro = A citizen's login to 1177.se was locked after a call from your unit to KSD's emergency line. The written form has not yet reached the Lock and Log Service.
mail-form-citizen = The lock was made at the citizen's request: help the citizen send in the form.
mail-form-send = Send in the form as soon as possible.

## Login and the page frame
login-title = Log in
login-intro = Log in with your HSA-ID, your password and the code from the authenticator app on your phone.
login-failed-title = Login failed
login-hsa-id = HSA-ID
login-hsa-id-hint = For example SE2321000131-P000000012345.
login-password = Password
login-code = One-time code
login-code-hint = Six digits from the authenticator app, or one of your recovery codes. The first time you log in with a temporary password, leave the field empty.
login-submit = Log in
login-demo-title = Demo accounts
login-demo-intro = Every demo account has the password
login-demo-codes = The one-time code below is valid for 30 seconds; reload the page for a new one. Each code works once.
login-demo-role = Role
login-demo-name = Name
login-demo-code = Code now
login-forgot = Forgot your password or lost your phone? Contact the administrator, who can give you a new activation link.
login-error-failed = Login failed. Check your HSA-ID, password and code. After five failed attempts from the same computer you wait 15 minutes before you can try again from there.
login-error-rate = Too many login attempts from your computer. Wait a few minutes and try again.
layout-skip = Skip to content
layout-demo = practice environment with made-up people and known passwords. Never enter real data here.
layout-main-menu = Main menu
layout-logout = Log out
layout-footer = Kontospärr – locking and unlocking a citizen's login to 1177.se. All access is logged.

# --- rules ---
rules-diary-title = Diary
rules-diary-intro = Registered cases by diary number, with the registration date and type. The diary holds no data about the citizen and can be printed for a whole year.
rules-diary-year = Year
rules-diary-show = Show
rules-diary-count = registered cases.
rules-diary-print-link = Print the whole year
rules-diary-pages = Diary pages
rules-diary-first = Back to the start
rules-diary-next = Next page
rules-diary-col-number = Diary number
rules-diary-col-date = Registered
rules-diary-col-kind = Type
rules-diary-col-reference = Reference
rules-diary-col-channel = Channel
rules-diary-col-status = Status
rules-diary-refers-to = Unlocks
rules-diary-back = Back to the diary
rules-diary-printed = Printed
rules-diary-print-hint = The whole year's diary on one page. Print with the browser's print command.
rules-diary-empty = No registered cases this year.

# --- auditor ---
aud-search-title = Search the access log
aud-search-intro = Search who has read or changed data in Kontospärr. The personal identity number is sent in the form only, never in the address. Every search is logged with your name and what you searched for.
aud-search-legend = Criteria (fill in one or more)
aud-search-submit = Search
aud-f-pnr = Citizen's personal identity or coordination number
aud-f-pnr-hint = YYYYMMDD-NNNN, for example 19121212-1212.
aud-f-user = User
aud-f-user-hint = HSA ID, or part of the name.
aud-f-unit = Unit
aud-f-role = Role
aud-f-any = All
aud-f-action = Event
aud-f-action-hint = The event's code, for example case_view or case_list_view.
aud-f-case = Case number
aud-f-from = From
aud-f-to = To (inclusive)
aud-f-time-hint = YYYY-MM-DD, or YYYY-MM-DD HH:MM (Swedish time).
aud-f-date-hint = YYYY-MM-DD.
aud-result-title = Results
aud-result-more-than = More than
aud-result-matching = entries match, newest first.
aud-result-older-page = You are on an older page.
aud-result-none = No entries match the search.
aud-result-next = Older entries
aud-result-first = To the first page
aud-export = Export as CSV
aud-export-hint = The export is a CSV file for Excel (UTF-8, semicolons) with at most
aud-export-hint-rows = rows, newest first. The export is logged.
aud-export-capped = More entries match than the export holds: split the period.
aud-entries-caption = Access log entries
aud-col-time = Time
aud-col-user = User
aud-col-role = Role
aud-col-unit = Unit
aud-col-action = Event
aud-col-case = Case
aud-col-citizens = Citizens
aud-case-link = Search log entries about case
aud-pages = Pages
aud-extract-title = Log extract for a citizen
aud-extract-intro = The extract shows which unit and role saw or changed the citizen's data, when, and in which case. The extract is logged.
aud-extract-submit = Show extract
aud-extract-for = Log extract for
aud-extract-made = Extract made
aud-extract-by = by
aud-extract-count = entries, newest first.
aud-extract-capped = The page shows the newest
aud-extract-capped-csv = Download the CSV file for all entries.
aud-extract-none = No log entry names the citizen.
aud-extract-csv = Download the extract as CSV
aud-extract-print = Print the page with the browser's print function; the forms are not printed.
aud-checks-title = Log follow-up
aud-checks-intro = Recorded spot checks of the access log (HSLF-FS 2016:40), newest first.
aud-checks-new = Record a new check
aud-checks-none = No checks are recorded.
aud-checks-older = Older checks
aud-checks-back = Back to log follow-up
aud-check-no = Check
aud-check-made = Recorded
aud-check-by = By
aud-check-period = Period
aud-check-scope = Scope
aud-check-outcome = Outcome
aud-check-saved = The check is recorded.
aud-check-new-title = New log follow-up
aud-check-new-intro = Draw a random sample of log entries for the period, review them, and record what you checked, what you found and what is to be done.
aud-check-sample-legend = Sample
aud-f-sample-size = Entries in the sample
aud-f-sample-size-hint = Between 1 and 200.
aud-check-draw = Draw a sample
aud-check-sample-title = The sample
aud-check-sample-count = entries in the sample.
aud-check-no-sample = No sample was saved with the check.
aud-check-record-legend = The check
aud-f-scope = Scope
aud-f-scope-hint = What was checked, for example units, users or events.
aud-f-findings = Findings
aud-f-findings-hint = What you found in the sample.
aud-f-outcome = Outcome
aud-f-follow-up = Follow-up
aud-f-follow-up-hint = What is to be done and by whom (may be left empty when nothing is).
aud-check-save = Record the check
aud-review-title = Entries to look at
aud-review-intro = Entries that log follow-up usually looks at more closely. The rules read the period's entries that name a citizen; your own searches do not count. Each row leads to the entries behind it. The page is logged.
aud-review-period = Period
aud-review-submit = Show
aud-review-scanned = entries read.
aud-review-scan-capped = The period has more entries than are read at once: choose a shorter period.
aud-review-findings-capped = There are more findings than the page shows: choose a shorter period.
aud-review-nothing = Nothing to look at.
aud-review-count = Count
aud-review-when = Time
aud-review-show = Show entries
aud-rule-protected = Citizens with protected personal data
aud-rule-no-case = Citizens without a case at the user's units
aud-rule-off-hours = Reads outside office hours
aud-rule-burst = Many different citizens in a short time


# --- lifecycle ---
lifecycle-now-title = Is the citizen locked?
lifecycle-now-intro = Enter the personal identity number to see whether the citizen's login on 1177.se is locked now: since when, by which case and diary number, and when the lock is to be reviewed. The lookup is logged with your name and the number.
lifecycle-now-pnr = Personal identity number or coordination number
lifecycle-now-submit = Show the state
lifecycle-error = Error
lifecycle-now-state-for = State of
lifecycle-now-own-units = You see only the cases of your own units.
lifecycle-now-not-locked = Not locked: no executed lock is in force.
lifecycle-now-locked = Locked: the login on 1177.se is locked.
lifecycle-now-locks = Locks in force
lifecycle-now-case = Case
lifecycle-now-since = Locked since
lifecycle-now-unit = Unit
lifecycle-now-channel = Status
lifecycle-now-next-review = Next review
lifecycle-now-lifted = Lifted locks
lifecycle-now-lifted-by = unlocked by
lifecycle-now-under-way = Cases being handled
notice-returned-subject = A case in Kontospärr has been returned for completion
notice-returned-line-1 = The lock and log service has returned a case from your unit for completion.
notice-returned-line-2 = Log in to Kontospärr and open the case to see what is missing, complete it and send it again.


# --- lists ---
lists-filter-legend = Show cases
lists-filter-status = Status
lists-filter-kind = Kind
lists-filter-channel = Channel
lists-filter-unit = Unit
lists-filter-all = All
lists-filter-from = Changed from (YYYY-MM-DD)
lists-filter-until = Changed up to and including (YYYY-MM-DD)
lists-filter-submit = Show
lists-filter-clear = Show all cases
lists-filter-drafts = Drafts are shown only for your own unit's cases.
lists-search-title = Search cases
lists-search-intro = Search by personal identity number, diary number or case number. The search is logged with your name and the citizens shown.
lists-search-label = Personal identity number, diary number or case number
lists-search-hint = For example 19121212-1212, KSD 2026-00042 or nr 123.
lists-search-submit = Search
lists-search-heading = Cases for
lists-search-none = No cases.
lists-search-count = cases
lists-pager-prev = Previous
lists-pager-next = Next
lists-pager-label = Pages

## --- paper ---
paper-blank-title = Form for locking and unlocking
paper-blank-subtitle = Locking and unlocking a citizen's login on 1177.se on behalf of healthcare staff (instruction 002, appendix).
paper-blank-screen-intro = Print the form with the browser's print function (A4, two pages at most). The fields come in the same order and under the same headings as in the form in Kontospärr, so that Spärr- och loggservice can key the form in from top to bottom.
paper-blank-instructions = Write clearly. Every item is needed except those marked optional or that concern only a lock or only an unlock. The decider signs. Send the form by internal mail to Spärr- och loggservice, Koncernstab digitalisering (KSD). In an emergency: call the KSD emergency phone and send the form afterwards.
paper-blank-link = Print a blank form for locking and unlocking
paper-blank-lock-only = (filled in for a lock)
paper-blank-unlock-only = (filled in for an unlock)
paper-f-kind = Type of request
paper-f-kind-lock = Locking the citizen's login on 1177.se
paper-f-kind-unlock = Unlocking the citizen's login on 1177.se
paper-h-unit = Unit
paper-f-unit = Requesting unit
paper-f-unit-hint = The unit's name and code. The unit's head of operations receives feedback when the case has been executed.
paper-f-provider = Care provider
paper-f-provider-region = The region
paper-f-provider-name = A care provider other than the region: name and organisation number (a private provider must be on the list of approved providers).
paper-h-citizen = Citizen
paper-f-pnr = Personal identity number or coordination number
paper-f-pnr-hint = YYYYMMDD-NNNN.
paper-f-name = Name
paper-f-protected = Protected personal data
paper-f-protected-box = The citizen has protected personal data (name and contact details are not shown in clear)
paper-f-contact = Contact details (optional)
paper-f-duplicate = Why is a new lock needed?
paper-f-duplicate-hint = Fill in only if the citizen is already locked or has an open lock case. The reason is kept with the case.
paper-h-related = Lock to be lifted
paper-f-related = Earlier lock
paper-f-related-hint = The lock's diary number, for example KSD 2026-00042.
paper-h-grounds = Grounds for the lock
paper-f-risks = Through access to 1177.se the patient risks
paper-f-basis = The assessment is based on
paper-f-situations = Current situation
paper-f-choose-several = Choose one or more.
paper-f-choose-several-situations = Choose one or more.
paper-f-situation-other = Other situation
paper-f-situation-other-hint = Fill in if you chose Other.
paper-h-assessment = Structured assessment
paper-f-reasons = Reasons
paper-f-risks-text = Risks
paper-f-scope = Scope
paper-f-requested-by = Who asked
paper-f-choose-one = Choose one.
paper-h-documentation = Documentation before transfer
paper-f-journal-date = Date of the journal note on assessment, motive and decision
paper-f-journal-date-hint = YYYY-MM-DD. No later than the day of the decision.
paper-f-journal-reason = If the journal note is older than { $days } days before the decision: why it applies
paper-f-journal-reason-hint = Leave empty if the note is recent.
paper-f-chief-date = Date the chief physician or equivalent function was informed
paper-f-date-hint = YYYY-MM-DD.
paper-f-chief-whom = Who was informed
paper-f-patient-date = Date the patient was informed
paper-f-patient-date-hint = Leave empty and choose a reason below if the patient has not been informed.
paper-f-not-informed = If the patient has not been informed: why
paper-f-sealing = Is the patient's journal on 1177 to be sealed as well?
paper-f-sealing-hint = The lock does not hide the journal. Sealing is requested separately. Answer yes or no.
paper-f-sealing-yes = Yes, sealing has been requested
paper-f-sealing-no = No
paper-h-review = Review
paper-f-review-responsible = Responsible for the review after three months
paper-f-review-hint = Name, e-mail and HSA-ID. The head of operations receives the reminder too.
paper-f-review-name = Name
paper-f-review-email = E-mail
paper-f-review-hsa = HSA-ID
paper-h-form = The form
paper-f-arrival = Date of the arrival stamp
paper-f-arrival-hint = Filled in by Spärr- och loggservice.
paper-f-decider-name = Decider's name
paper-f-decider-hsa = Decider's HSA-ID (if there is one)
paper-f-decider-role = Decider's role
paper-f-decider-role-hint = Decisions are made by licensed healthcare staff with treatment responsibility, the head of operations or the medically responsible physician (MAL).
paper-f-decided-on = Date of decision
paper-f-signature = Decider's signature
paper-f-signature-hint = The signature certifies the form; a form that is not certified is returned for completion.
paper-print-footer = Printed by { $who } { $when }
paper-print-case-header = { $case } · Status: { $status }
paper-print-extract-header = Log extract for { $citizen }
paper-csv-list-link = Download the list as CSV
paper-csv-list-hint = A file for Excel (UTF-8, semicolons) with the cases matching the filter, at most { $n }, most recently changed first. The file holds personal identity numbers and names (protected names as *****); the download is logged with every citizen in the file.
paper-csv-diary-link = Download the year's diary as CSV
paper-csv-case = Case number
paper-csv-diary-number = Diary number
paper-csv-kind = Type
paper-csv-pnr = Personal identity number
paper-csv-name = Name
paper-csv-status = Status
paper-csv-channel = Channel
paper-csv-unit = Unit
paper-csv-submitted = Submitted
paper-csv-updated = Changed
paper-csv-capped = # The export stopped at { $n } cases; more cases match the filter. Choose a narrower filter.

## --- clientcert ---
siths-login-title = With a SITHS card
siths-login-hint = Put the card in the card reader before you open the page. The browser asks which certificate to use and for the card's PIN.
siths-login-button = Log in with SITHS card
siths-password-title = With password and one-time code
siths-error-no-card = No valid SITHS card was presented. Check that the card is in the reader, close every browser window and open the page again. An expired or revoked card is not accepted.
