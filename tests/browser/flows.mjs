// Browser tests: the real server in headless Chromium, with axe-core on every page visited.
//
//   BASE_URL=http://127.0.0.1:8080 node tests/browser/flows.mjs
//
// Run by tests/it/browser.rs (part of `cargo nextest run`), which starts `kontosparr serve --demo`.
// Each account logs in once, in a browser context of its own that the scenarios share (so no
// scenario waits for a fresh one-time code); every page loaded is checked with axe-core
// (WCAG 2.0/2.1 A and AA) and a violation of impact "serious" or "critical" fails the run.
// Exits 0 when every scenario passed and no such violation was found, 1 otherwise.
//
// SCENARIOS=a,b,login runs only those scenarios (by letter; `login` is the anonymous login page),
// in the order of the list below: tests/it/browser.rs runs the scenarios in three parts at once,
// each against its own demo server, so that a part only depends on the scenarios before it in
// the same part.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const BASE_URL = (process.env.BASE_URL || '').replace(/\/$/, '');
if (!BASE_URL) {
  console.error('BASE_URL is not set (for example BASE_URL=http://127.0.0.1:8080)');
  process.exit(2);
}
const CHROMIUM = '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// axe-core is served from a port of its own, cacheable, rather than pasted into each page: the
// browser then keeps it compiled between pages (about half of each check's time otherwise).
const axeServer = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'public, max-age=86400' });
  res.end(AXE_SOURCE);
});
await new Promise((resolve) => axeServer.listen(0, '127.0.0.1', resolve));
axeServer.unref();
const AXE_URL = `http://127.0.0.1:${axeServer.address().port}/axe.min.js`;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const PASSWORD = 'Demo-lösenord 2026';
const DORIS = 'SE2321000131-E000000000101';
const HUGO = 'SE2321000131-E000000000106';
const ADA = 'SE2321000131-E000000000108';
const AUDITOR = 'SE2321000131-E000000000107';
const UNIT = 'PSYK-SU';
const TOLVAN = '19121212-1212';

const failures = []; // scenario failures: strings
const axeFindings = []; // serious/critical violations
let pagesChecked = 0;

const log = (...a) => console.log(...a);

/** A date some days back, ÅÅÅÅ-MM-DD (never in the future in any time zone). */
function daysAgo(n) {
  return new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- axe

// A personnummer or samordningsnummer (12 or 10 digits, with or without its separator): never in
// a URL — path or query — of any page the scenarios reach (forms with one POST).
const PNR_IN_URL = /(?<!\d)(?:(?:19|20)\d{6}|\d{6})[-+]?\d{4}(?!\d)/;

async function axeCheck(page, what) {
  const t0 = Date.now();
  const url = page.url();
  const m = decodeURIComponent(url).match(PNR_IN_URL);
  if (m) throw new Error(`${what}: a personnummer (${m[0]}) in the URL ${new URL(url).pathname}…`);
  await page.addScriptTag({ url: AXE_URL });
  if (process.env.TIMING) log(`   inject ${Date.now() - t0} ms`);
  const result = await page.evaluate(
    // Only violations are looked at: axe skips collecting the passes (much of its work).
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  pagesChecked += 1;
  if (process.env.TIMING) log(`   axe ${Date.now() - t0} ms`);
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) {
    axeFindings.push({
      what,
      path: new URL(url).pathname + new URL(url).search,
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
      summary: v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ') ?? '',
    });
  }
  const minor = result.violations.filter((v) => !bad.includes(v)).map((v) => `${v.id} (${v.impact})`);
  log(`   axe ${bad.length ? 'FAIL' : 'ok  '} ${what} (${new URL(url).pathname})`
    + (bad.length ? ': ' + bad.map((v) => v.id).join(', ') : '')
    + (minor.length ? `; not failing: ${minor.join(', ')}` : ''));
}

// ---------------------------------------------------------------- navigation helpers

/** Loads a path, checks the status and runs axe. */
async function visit(page, path, what = path) {
  const t0 = Date.now();
  const resp = await page.goto(BASE_URL + path, { waitUntil: 'load' });
  if (process.env.TIMING) log(`   nav ${Date.now() - t0} ms ${what}`);
  if (!resp || resp.status() >= 400) {
    throw new Error(`GET ${path} answered ${resp ? resp.status() : 'nothing'}: ${await pageSummary(page)}`);
  }
  await axeCheck(page, what);
  return resp;
}

/** Clicks something that submits a form or follows a link; waits for the new page; runs axe. */
async function clickAndLoad(page, locator, what, { expectOk = true } = {}) {
  const response = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400),
    { timeout: 15000 },
  );
  const loaded = page.waitForEvent('load', { timeout: 15000 });
  const t0 = Date.now();
  await locator.click();
  const t1 = Date.now();
  const resp = await response;
  const t2 = Date.now();
  await loaded;
  if (process.env.TIMING) log(`   click ${t1 - t0} resp ${t2 - t1} load ${Date.now() - t2} ms ${what}`);
  await axeCheck(page, what);
  if (expectOk && resp.status() >= 400) {
    throw new Error(`${what}: answered ${resp.status()} at ${page.url()}: ${await pageSummary(page)}`);
  }
  return resp;
}

const button = (page, name) => page.getByRole('button', { name, exact: true });

/** The page's heading and any error summary, for failure messages. */
async function pageSummary(page) {
  return page.evaluate(() => {
    const h1 = document.querySelector('h1')?.textContent?.trim() ?? '(no h1)';
    const errs = [...document.querySelectorAll('.error-summary, .field-error, .notice')]
      .map((e) => e.textContent.replace(/\s+/g, ' ').trim())
      .join(' | ');
    return errs ? `${h1} – ${errs}` : h1;
  });
}

async function expectText(page, text, why) {
  const body = await page.locator('body').innerText();
  const ok = text instanceof RegExp ? text.test(body) : body.includes(text);
  if (!ok) {
    throw new Error(`${why}: expected ${text} on ${page.url()}; page: ${await pageSummary(page)}`);
  }
  return body;
}

// ---------------------------------------------------------------- printing

/** Where the printed PDFs go (tests/it/browser.rs passes the server's temporary directory). */
const PDF_DIR = process.env.PDF_DIR || mkdtempSync(join(tmpdir(), 'kontosparr-pdf-'));

/**
 * Prints the page as Chromium prints it (A4, the print stylesheet) and reads the PDF back with
 * pdftotext (poppler-utils): { pages, sheets: the text of each sheet, text: all of it }, with
 * white space folded to single spaces.
 */
async function printed(page, name) {
  const file = join(PDF_DIR, `${name}.pdf`);
  await page.pdf({ path: file, format: 'A4' });
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const pages = Number(info.match(/^Pages:\s+(\d+)/m)?.[1]);
  const raw = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  const sheets = raw.split('\f').map((t) => t.replace(/\s+/g, ' ').trim()).filter((t) => t);
  log(`   printed ${name}.pdf: ${pages} page(s)`);
  return { pages, sheets, text: sheets.join(' ') };
}

/** Every sheet of a printout carries the header and the footer. */
function onEverySheet(doc, header, footer, what) {
  doc.sheets.forEach((sheet, i) => {
    if (!sheet.includes(header)) throw new Error(`${what}: sheet ${i + 1} lacks the header "${header}": ${sheet.slice(0, 200)}`);
    if (!footer.test(sheet)) throw new Error(`${what}: sheet ${i + 1} lacks the footer ${footer}: ${sheet.slice(-300)}`);
  });
  if (doc.sheets.length !== doc.pages) throw new Error(`${what}: ${doc.sheets.length} sheets of text for ${doc.pages} pages`);
}

function caseIdOf(page) {
  const m = new URL(page.url()).pathname.match(/^\/arenden\/(\d+)$/);
  if (!m) throw new Error(`expected a case page, got ${page.url()}`);
  return Number(m[1]);
}

/** Selects the option whose label contains `text`. */
async function selectByLabelPart(page, selector, text) {
  const value = await page.$eval(
    selector,
    (sel, t) => [...sel.options].find((o) => o.textContent.includes(t))?.value,
    text,
  );
  if (!value) throw new Error(`no option containing "${text}" in ${selector}`);
  await page.selectOption(selector, value);
}

// ---------------------------------------------------------------- login

// Each account logs in once, in a browser context of its own that every scenario then reuses:
// a one-time code works once per 30-second step, so logging in again would mean waiting for the
// next step.
const sessions = new Map(); // HSA-ID -> { context, page }

async function codeOnLoginPage(page, hsa) {
  const row = page.locator('tr', { has: page.locator('code', { hasText: hsa }) });
  return (await row.locator('td').nth(3).innerText()).trim();
}

async function login(page, hsa) {
  await page.goto(BASE_URL + '/login', { waitUntil: 'load' });
  const code = await codeOnLoginPage(page, hsa);
  if (!/^\d{6}$/.test(code)) throw new Error(`no 6-digit code for ${hsa} on /login (got "${code}")`);
  await axeCheck(page, 'login page');
  await page.fill('#hsa_id', hsa);
  await page.fill('#password', PASSWORD);
  await page.fill('#code', code);
  await clickAndLoad(page, button(page, 'Logga in'), 'after login');
  if (new URL(page.url()).pathname === '/login' || (await button(page, 'Logga ut').count()) === 0) {
    throw new Error(`login as ${hsa} failed: ${await pageSummary(page)}`);
  }
}

/** The account's logged-in browser context: made and logged in at first use, then reused. */
async function session(browser, hsa) {
  let s = sessions.get(hsa);
  if (!s) {
    const context = await browser.newContext({ bypassCSP: true, locale: 'sv-SE' });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    s = { context, page, loggedIn: login(page, hsa) };
    sessions.set(hsa, s);
  }
  await s.loggedIn; // a failed login fails every scenario of the account, not just the first
  return s;
}

// ---------------------------------------------------------------- case steps

/** The common mandatory fields of a lock or unlock request. */
async function fillCommon(page, { pnr, name }) {
  await selectByLabelPart(page, '#unit_id', UNIT);
  await page.selectOption('#care_provider', 'region');
  await page.fill('#citizen_pnr', pnr);
  await page.fill('#citizen_name', name);
  await page.fill('#assessment_reasons', 'Närstående med hotbild läser patientens meddelanden.');
  await page.fill('#assessment_risks', 'Risk för våld om bokade tider blir kända.');
  await page.fill('#assessment_scope', 'Hela inloggningen på 1177.se.');
  await page.check('#requested_by-staff');
  await page.fill('#journal_note_date', daysAgo(3));
  await page.fill('#chief_informed_date', daysAgo(3));
  await page.fill('#chief_informed_whom', 'Chefläkare Område 1');
  await page.fill('#patient_informed_date', daysAgo(2));
  await page.check('#journal_sealing-no');
}

/** Clinician: "Ny begäran" filled in completely and saved as a draft; returns the case id. */
async function fileLock(page, pnr, name) {
  await visit(page, '/arenden/ny', 'new lock form');
  await fillCommon(page, { pnr, name });
  await page.check('#risk_kinds-hot');
  await page.check('#risk_kinds-skada');
  await page.check('#basis-security');
  await page.check('#situations-threat');
  await selectByLabelPart(page, '#review_responsible_user_id', 'Doris');
  await clickAndLoad(page, button(page, 'Spara utkast'), 'lock draft saved', { expectOk: false });
  // A citizen who is locked already, or has an open lock case, needs a confirmed reason.
  if ((await page.locator('#duplicate_reason-error').count()) > 0) {
    await expectText(page, 'redan', 'the duplicate is shown plainly');
    await page.fill('#duplicate_reason', 'Ny bedömning: hotbilden har förändrats.');
    await clickAndLoad(page, button(page, 'Spara utkast'), 'lock draft saved with a reason');
  }
  const id = caseIdOf(page);
  await expectText(page, 'Utkast', 'the new case is a draft');
  return id;
}

/** Decider signs and sends the case shown. */
async function signAndSend(page) {
  await clickAndLoad(page, button(page, 'Signera beslutet'), 'case signed');
  await expectText(page, 'Signerat av', 'the decision is signed');
  await clickAndLoad(page, button(page, 'Skicka till Spärr- och loggservice'), 'case sent');
  await expectText(page, 'Inskickad', 'the case is submitted');
}

/** Handler: receive, tick the checklist, verify and execute; returns the diary number. */
async function handleToExecution(page, id) {
  await visit(page, `/arenden/${id}`, 'submitted case (handler)');
  await clickAndLoad(page, button(page, 'Ta emot ärendet'), 'case received');
  await expectText(page, 'Kontrollpunkter', 'the checklist is shown');
  let ticked = 0;
  for (;;) {
    const klar = page.getByRole('button', { name: /^Klar/ });
    if ((await klar.count()) === 0) break;
    if (ticked > 10) throw new Error('the checklist does not get done');
    await page.locator('form.check-form input[name="note"]').first().fill(`Kontrollerat ${ticked + 1}`);
    await clickAndLoad(page, klar.first(), 'checklist item done');
    ticked += 1;
  }
  if (ticked === 0) throw new Error('no checklist item to tick');
  await clickAndLoad(page, button(page, 'Kontrollen är klar'), 'case verified');
  await expectText(page, 'Kontrollerad', 'the case is verified');
  // Without the confirmation the step is refused beside the checkbox.
  await page.fill('#helpdesk_ref', 'RÄLS-4711');
  await clickAndLoad(page, button(page, 'Verkställt i 1177 – registrera diarienummer'), 'execution without confirmation', { expectOk: false });
  await expectText(page, 'Bekräfta att åtgärden är gjord', 'executing asks for a confirmation');
  await page.check('#confirmed-yes');
  await clickAndLoad(page, button(page, 'Verkställt i 1177 – registrera diarienummer'), 'case executed');
  const body = await expectText(page, 'Verkställd', 'the case is executed');
  const m = body.match(/KSD \d{4}-\d{5}/);
  if (!m) throw new Error(`no diary number on the executed case: ${await pageSummary(page)}`);
  return m[0];
}

/** Follows the queue's pages looking for a link to the case. */
async function inQueue(page, id) {
  await visit(page, '/handlaggning', 'handler queue');
  for (let n = 0; n < 50; n++) {
    if ((await page.locator(`a[href="/arenden/${id}"]`).count()) > 0) return true;
    const next = page.locator('a[rel="next"]');
    if ((await next.count()) === 0) return false;
    await clickAndLoad(page, next, 'handler queue, next page');
  }
  return false;
}

// ---------------------------------------------------------------- scenarios

const state = {};
const ONLY = (process.env.SCENARIOS || '').split(',').map((x) => x.trim()).filter(Boolean);
const chosen = (key) => ONLY.length === 0 || ONLY.includes(key);

const scenarios = [
  ['a: clinician files, signs and submits a lock', async (browser) => {
    const { page } = await session(browser, DORIS);
    await visit(page, '/', 'start page (clinician)');
    await visit(page, '/arenden', 'case list (clinician)');
    // The form with errors (a personnummer with a wrong check digit) is checked too.
    await visit(page, '/arenden/ny', 'new lock form');
    await page.fill('#citizen_pnr', '19121212-1213');
    await clickAndLoad(page, button(page, 'Spara utkast'), 'lock form with errors', { expectOk: false });
    await expectText(page, 'Det finns fel i formuläret', 'a wrong personnummer is refused');
    const id = await fileLock(page, '19570428-9999', 'Karin Testsson');
    await signAndSend(page);
    state.lockId = id;
    log(`   lock nr ${id} submitted`);
  }],

  ['b: handler receives, checks, verifies and executes the lock', async (browser) => {
    if (!state.lockId) throw new Error('scenario a did not produce a submitted lock');
    const { page } = await session(browser, HUGO);
    await visit(page, '/', 'start page (handler)');
    if (!(await inQueue(page, state.lockId))) throw new Error(`lock nr ${state.lockId} is not in /handlaggning`);
    const diary = await handleToExecution(page, state.lockId);
    log(`   executed as ${diary}`);
    await visit(page, '/arenden', 'case list (handler)');
    await visit(page, '/diarium', 'diary');
    await expectText(page, diary, 'the diary lists the new number');
    await visit(page, '/sok', 'search form');
    await page.fill('#pnr', '19570428-9999');
    await clickAndLoad(page, button(page, 'Sök'), 'search result');
    await expectText(page, diary, 'the search finds the executed lock');
  }],

  ['c: handler returns a case, clinician edits, signs and resubmits it', async (browser) => {
    const doris = await session(browser, DORIS);
    const id = await fileLock(doris.page, '19460823-9986', 'Greta Testsson');
    await signAndSend(doris.page);
    const hugo = await session(browser, HUGO);
    const h = hugo.page;
    await visit(h, `/arenden/${id}`, 'submitted case (handler)');
    await h.fill('#reason-return', 'Journalanteckningens datum saknas i journalen. Komplettera.');
    await clickAndLoad(h, button(h, 'Returnera'), 'case returned');
    await expectText(h, 'Returnerad för komplettering', 'the case is returned');

    const d = doris.page;
    await visit(d, `/arenden/${id}`, 'returned case (clinician)');
    await expectText(d, 'Journalanteckningens datum saknas', 'the clinician sees the reason');
    await clickAndLoad(d, d.getByRole('link', { name: 'Ändra uppgifterna' }), 'edit form');
    await d.fill('#assessment_scope', 'Hela inloggningen på 1177.se, även ombudsinloggning.');
    await clickAndLoad(d, button(d, 'Spara utkast'), 'edited case saved');
    await expectText(d, 'Inte signerat', 'editing removes the signature');
    await signAndSend(d);

    if (!(await inQueue(h, id))) throw new Error(`resubmitted case nr ${id} is not in /handlaggning`);
    await visit(h, `/arenden/${id}`, 'resubmitted case (handler)');
    await expectText(h, 'Inskickad', 'the resubmitted case is submitted again');
  }],

  ['d: handler registers a call to the emergency phone', async (browser) => {
    const { page } = await session(browser, HUGO);
    await visit(page, '/nodtelefon', 'emergency call form');
    await page.fill('#caller_name', 'Doris Läkare, överläkare');
    await page.fill('#caller_phone', '010-123 45 67');
    await page.fill('#caller_email', 'sara.sjukskoterska@example.se');
    await selectByLabelPart(page, '#unit_id', UNIT);
    await page.fill('#citizen_pnr', '20000229-2399');
    await page.fill('#citizen_name', 'Skottår Testsson');
    await page.check('#requested_by-staff');
    await page.fill('#helpdesk_ref', 'RÄLS-112');
    await page.check('#category_chosen-yes');
    // David Dahl has an open lock case in the demo: the call needs a confirmed reason.
    await clickAndLoad(page, button(page, 'Kontot är låst – registrera samtalet'), 'emergency call: duplicate shown', { expectOk: false });
    await expectText(page, 'öppet ärende om låsning', 'the open lock case is shown plainly');
    await page.fill('#duplicate_reason', 'Akut hot i dag; det öppna ärendet är inte verkställt.');
    await clickAndLoad(page, button(page, 'Kontot är låst – registrera samtalet'), 'emergency call registered');
    caseIdOf(page);
    await expectText(page, 'Låst – väntar på blankett', 'the call case waits for the form');
  }],

  ['e: clinician files an unlock that refers to the lock; handler executes it', async (browser) => {
    const doris = await session(browser, DORIS);
    const d = doris.page;
    await visit(d, '/arenden/ny?typ=unlock', 'new unlock form');
    await fillCommon(d, { pnr: TOLVAN, name: 'Tolvan Tolvansson' });
    await clickAndLoad(d, button(d, 'Spara utkast'), 'unlock draft saved');
    const id = caseIdOf(d);
    const related = d.locator('dt', { hasText: 'Låsning som hävs' }).locator('xpath=following-sibling::dd[1]');
    const lockDiary = (await related.count()) ? (await related.innerText()).trim() : '';
    if (!/^KSD \d{4}-00001$/.test(lockDiary)) {
      throw new Error(`the unlock should refer to the lock KSD …-00001, shows "${lockDiary}": ${await pageSummary(d)}`);
    }
    await signAndSend(d);
    const hugo = await session(browser, HUGO);
    const diary = await handleToExecution(hugo.page, id);
    log(`   unlock executed as ${diary}`);
    await expectText(hugo.page, `Hänvisning till tidigare ärende ${lockDiary}`, 'the executed unlock refers to the lock');
  }],

  ['f: administrator pages', async (browser) => {
    const { page } = await session(browser, ADA);
    await visit(page, '/', 'start page (admin)');
    await visit(page, '/admin/anvandare', 'users (admin)');
    // The staff search posts: the term stays out of the address.
    await page.fill('#q', 'SE2321000131');
    await clickAndLoad(page, page.locator('form.search button[type=submit]'), 'staff search results (admin)');
    if (page.url().includes('SE2321000131') || page.url().includes('q=')) {
      throw new Error(`the staff search term is in the address: ${page.url()}`);
    }
    await visit(page, '/admin/enheter', 'units (admin)');
    await clickAndLoad(page, page.getByRole('link', { name: /Psykiatri Affektiva/ }).first(), 'unit page with certificate form');
    await clickAndLoad(page, button(page, 'Spara certifikat'), 'certificate form with an error', { expectOk: false });
    await expectText(page, 'PEM', 'an empty certificate is refused beside the field');
    await visit(page, '/admin/post', 'failed mail (admin)');
  }],

  ['g: a clinician reviews a lock and keeps it locked', async (browser) => {
    const { page } = await session(browser, DORIS);
    await visit(page, '/omprovningar', 'review list');
    const row = page.locator('tr', { hasText: '19090121-9931' }).first();
    await clickAndLoad(page, row.getByRole('link', { name: /Ompröva/ }), 'review page');
    // Nothing chosen: the form comes back with its errors.
    await clickAndLoad(page, button(page, 'Spara omprövningen'), 'review page with errors', { expectOk: false });
    await expectText(page, 'Det finns fel i formuläret', 'an empty review is refused');
    await page.check('#outcome-keep');
    await page.fill('#patient_informed_date', daysAgo(1));
    await clickAndLoad(page, button(page, 'Spara omprövningen'), 'case page after keeping the lock');
    await expectText(page, 'förblir låst', 'the decision is on the timeline');
  }],

  ['h: a clinician reviews a lock and opens an unlock', async (browser) => {
    const { page } = await session(browser, DORIS);
    await visit(page, '/omprovningar', 'review list (again)');
    const row = page.locator('tr', { hasText: '19090121-9931' }).first();
    await clickAndLoad(page, row.getByRole('link', { name: /Ompröva/ }), 'review page (again)');
    await page.check('#outcome-unlock');
    await page.check('#patient_not_informed_reason-patient_safety');
    await clickAndLoad(page, button(page, 'Spara omprövningen'), 'unlock draft opened by the review');
    if (!page.url().endsWith('/andra')) throw new Error(`expected the unlock's edit form, got ${page.url()}`);
    await expectText(page, 'Upplåsning av invånarens inloggning', 'the new case is an unlock');
  }],

  ['i: the unlock form proposes only locks in force; a lifted lock is no longer reviewed', async (browser) => {
    const { page } = await session(browser, DORIS);
    // Ivar's lock was lifted by an executed unlock in the demo; Tolvan's by scenario e.
    await visit(page, '/arenden/ny?typ=unlock', 'new unlock form (lifted lock)');
    await fillCommon(page, { pnr: '19800314-1234', name: 'Ivar Isaksson' });
    await clickAndLoad(page, button(page, 'Spara utkast'), 'unlock draft for a lifted lock');
    await clickAndLoad(page, page.getByRole('link', { name: 'Ändra uppgifterna' }), 'unlock edit form');
    const offered = await page.locator('#related_case_id option').count();
    if (offered !== 1) throw new Error(`a lifted lock is proposed (${offered - 1} options): ${await pageSummary(page)}`);
    await visit(page, '/arenden', 'case list (clinician, after the unlocks)');
    await visit(page, '/last-nu', 'who is locked now (form)');
    await page.fill('#pnr', '19800314-1234');
    await clickAndLoad(page, button(page, 'Visa läget'), 'who is locked now (result)');
    await expectText(page, 'Inte låst', 'a lifted lock is not in force');
    const lock = page.locator('a', { hasText: /^KSD \d{4}-00003$/ }).first();
    await clickAndLoad(page, lock, 'lifted lock page');
    await expectText(page, 'Upplåst genom', 'the lock shows the unlock that lifted it');
    if ((await page.getByRole('link', { name: 'Ompröva' }).count()) > 0) throw new Error('a lifted lock offers a review');
    const url = new URL(page.url());
    await visit(page, `${url.pathname}/omprovning`, 'review page of a lifted lock');
    await page.check('#outcome-keep');
    await page.fill('#patient_informed_date', daysAgo(1));
    await clickAndLoad(page, button(page, 'Spara omprövningen'), 'review of a lifted lock refused', { expectOk: false });
    await expectText(page, 'redan hävd', 'the review of a lifted lock is refused');
  }],

  ['j: the auditor searches the log, extracts a citizen and records a spot check', async (browser) => {
    const { page } = await session(browser, AUDITOR);
    await visit(page, '/logg', 'log search (form)');
    await page.fill('#pnr', '12345');
    await clickAndLoad(page, button(page, 'Sök'), 'log search with a bad personnummer', { expectOk: false });
    const kept = await page.inputValue('#pnr');
    if (kept !== '12345') throw new Error(`the typed personnummer was lost: "${kept}"`);
    await page.fill('#pnr', TOLVAN);
    await clickAndLoad(page, button(page, 'Sök'), 'log search (result)');
    await expectText(page, 'Träffar', 'the search shows its result');
    await visit(page, '/logg/utdrag', 'citizen extract (form)');
    await page.fill('#pnr', TOLVAN);
    await clickAndLoad(page, button(page, 'Visa utdrag'), 'citizen extract (printable page)');
    await expectText(page, 'Loggutdrag för', 'the extract is shown');
    await visit(page, '/logg/granska', 'entries to look at');
    await visit(page, '/logg/kontroller', 'spot checks (list)');
    await visit(page, '/logg/kontroller/ny', 'spot check (form)');
    await page.fill('#from', daysAgo(7));
    await page.fill('#to', daysAgo(0));
    await page.fill('#sample_size', '3');
    await clickAndLoad(page, button(page, 'Dra urval'), 'spot check with a drawn sample');
    await page.fill('#scope', 'Stickprov av läsningar den senaste veckan.');
    await page.fill('#findings', 'Inga avvikelser i urvalet.');
    await page.check('#outcome-no_remarks');
    await clickAndLoad(page, button(page, 'Registrera kontrollen'), 'spot check recorded');
    await expectText(page, 'Kontrollen är registrerad', 'the spot check is recorded');
  }],

  ['k: an administrator chooses English, reads the pages in English, and goes back to Swedish', async (browser) => {
    const { page } = await session(browser, ADA);
    await visit(page, '/konto', 'account page');
    await page.check('#lang-en');
    await clickAndLoad(page, button(page, 'Spara språk'), 'language saved (English)');
    await expectText(page, 'Your language has been saved', 'the account page answers in English');
    if ((await page.getAttribute('html', 'lang')) !== 'en') throw new Error('<html lang> is not en');
    await visit(page, '/admin/anvandare', 'users (admin, English)');
    await visit(page, '/admin/enheter', 'units (admin, English)');
    await visit(page, '/konto', 'account page (English)');
    await page.check('#lang-sv');
    await clickAndLoad(page, button(page, 'Save language'), 'language saved (Swedish again)');
    await expectText(page, 'Språket är sparat', 'the account page answers in Swedish again');
  }],

  // --- paper ---
  ['l: paper: the blank form, a case page, the diary of a year and a citizen extract print on A4', async (browser) => {
    // The blank form, from "Ny begäran": every field of the e-form on at most two sheets.
    const doris = (await session(browser, DORIS)).page;
    await visit(doris, '/arenden/ny', 'new lock form (link to the blank form)');
    await clickAndLoad(doris, doris.getByRole('link', { name: 'Skriv ut en tom blankett för låsning och upplåsning' }), 'blank paper form');
    const labels = await doris.$$eval('[data-field] .blank-label, [data-field].blank-label, .blank-options li, .blank h2',
      (els) => els.map((e) => e.textContent.replace(/\s+/g, ' ').trim()));
    const blank = await printed(doris, 'blank-form');
    if (!(blank.pages >= 1 && blank.pages <= 2)) throw new Error(`the blank form prints on ${blank.pages} pages`);
    // The e-form's labels (templates/cases/form.html), and everything the page shows as one.
    const eform = ['Typ av begäran', 'Begärande enhet', 'Vårdgivare', 'Personnummer eller samordningsnummer', 'Namn',
      'Skyddade personuppgifter', 'Kontaktuppgifter (valfritt)', 'Varför behövs en ny låsning?', 'Tidigare låsning',
      'Patienten riskerar genom tillgång till 1177.se', 'Bedömningen grundar sig på', 'Aktuell situation', 'Annan situation',
      'Skäl', 'Risker', 'Omfattning', 'Vem begärde', 'Datum för journalanteckning om bedömning, motiv och beslut',
      'Datum då chefläkaren eller motsvarande funktion informerades', 'Vem informerades', 'Datum då patienten informerades',
      'Om patienten inte har informerats: varför', 'Ska patientens journal på 1177 också förseglas?',
      'Ansvarig för omprövning efter tre månader', 'E-post', 'HSA-id', 'Datum på ankomststämpeln', 'Beslutsfattarens namn',
      'Beslutsfattarens HSA-id (om det finns)', 'Beslutsfattarens roll', 'Beslutsdatum',
      'Medicinskt ansvarig läkare (MAL)', 'Invånaren själv, genom hälso- och sjukvårdspersonal'];
    if (labels.length < 60) throw new Error(`only ${labels.length} labels found on the blank form`);
    const missing = [...new Set([...eform, ...labels])].filter((l) => !blank.text.includes(l));
    if (missing.length) throw new Error(`the printed blank form lacks: ${missing.join(' | ')}`);

    // A case page of a protected citizen, as the handler prints it: diary number and status on
    // every sheet, who printed it and when at the foot; the name stays masked; no menu, no buttons.
    const hugo = (await session(browser, HUGO)).page;
    await visit(hugo, '/sok', 'search form (to print a case)');
    await hugo.fill('#pnr', '20000405-9937');
    await clickAndLoad(hugo, button(hugo, 'Sök'), 'search result (protected citizen)');
    await clickAndLoad(hugo, hugo.locator('table a[href^="/arenden/"]').first(), 'case page to print');
    const diaryNumber = (await hugo.locator('h1').innerText()).match(/KSD \d{4}-\d{5}/)?.[0];
    if (!diaryNumber) throw new Error(`no diary number on the case page: ${await pageSummary(hugo)}`);
    const status = (await hugo.locator('.status-line .status').innerText()).trim();
    const doc = await printed(hugo, 'case-page');
    const byHugo = /Utskrivet av Hugo Handläggare \(SE2321000131-E000000000106\) \d{4}-\d{2}-\d{2} \d{2}:\d{2}/;
    onEverySheet(doc, `${diaryNumber} · Status: ${status}`, byHugo, 'the printed case page');
    if (!doc.text.includes('*****')) throw new Error('the printed case page does not show the masked name');
    if (doc.text.includes('Cecilia') || doc.text.includes('Carlsson')) throw new Error('the printed case page shows a protected name');
    for (const gone of ['Logga ut', 'Visa namnet (loggas)', 'Koppla blanketten som kommit', 'Anteckna Plexus', 'Alla ärenden']) {
      if (doc.text.includes(gone)) throw new Error(`the printed case page shows "${gone}"`);
    }

    // The diary of a year.
    await visit(hugo, '/diarium', 'diary (to print)');
    await clickAndLoad(hugo, hugo.getByRole('link', { name: 'Skriv ut hela året' }), 'diary of the year, for print');
    const year = (await hugo.locator('h1').innerText()).match(/\d{4}/)[0];
    const diary = await printed(hugo, 'diary');
    onEverySheet(diary, `Diarium ${year}`, byHugo, 'the printed diary');
    if (!diary.text.includes(diaryNumber)) throw new Error(`the printed diary lacks ${diaryNumber}`);

    // A citizen's log extract, as the auditor prints it.
    const auditor = (await session(browser, AUDITOR)).page;
    await visit(auditor, '/logg/utdrag', 'citizen extract (form, to print)');
    await auditor.fill('#pnr', TOLVAN);
    await clickAndLoad(auditor, button(auditor, 'Visa utdrag'), 'citizen extract (to print)');
    const extract = await printed(auditor, 'extract');
    onEverySheet(extract, `Loggutdrag för ${TOLVAN}`, /Utskrivet av .+ \(SE2321000131-E000000000107\) \d{4}-\d{2}-\d{2} \d{2}:\d{2}/, 'the printed extract');
    if (extract.text.includes('Hämta utdraget som CSV')) throw new Error('the printed extract shows its buttons');
  }],
  // --- oidc ---
  ['m: a member of staff logs in with an e-ID on the provider\'s own login page, out there too, and a too low level is refused', async (browser) => {
    const ISSUER = (process.env.OIDC_ISSUER || '').replace(/\/$/, '');
    if (!ISSUER) throw new Error('OIDC_ISSUER is not set (tests/it/browser.rs starts the provider)');
    const SARA = 'SE2321000131-E000000000102';
    const LOA2 = 'http://id.elegnamnden.se/loa/1.0/loa2';
    const context = await browser.newContext({ bypassCSP: true, locale: 'sv-SE' });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const atProvider = async () => {
      await visit(page, '/login', 'login page with the e-ID button');
      await page.getByRole('link', { name: 'Logga in med Test-IdP', exact: true }).click();
      await page.waitForURL((u) => u.href.startsWith(ISSUER + '/interaction/'));
      await page.waitForSelector('#hsa_id');
    };
    try {
      // The provider's own login page, then back: the callback's page takes the browser home.
      await atProvider();
      await page.fill('#hsa_id', SARA);
      await page.getByRole('button', { name: 'Identifiera dig' }).click();
      await page.waitForURL(BASE_URL + '/');
      await axeCheck(page, 'start page after an e-ID login');
      await expectText(page, 'Sara Sjuksköterska', 'logged in as the card holder');
      // Logging out here sends the browser to the provider's logout, and from there back.
      await button(page, 'Logga ut').click();
      await page.waitForURL((u) => u.href.startsWith(ISSUER + '/session/end'));
      await page.getByRole('button', { name: 'Ja, logga ut' }).click();
      await page.waitForURL((u) => u.href.startsWith(BASE_URL + '/utloggad'));
      await axeCheck(page, 'logged out, back from the provider');
      await expectText(page, 'Du är utloggad', 'logged out');
      await page.goto(BASE_URL + '/', { waitUntil: 'load' });
      if (new URL(page.url()).pathname !== '/login') throw new Error(`still logged in: ${page.url()}`);
      // A login at level 2 (the provider asks again: its session ended too) is refused plainly.
      await atProvider();
      await page.fill('#hsa_id', SARA);
      await page.selectOption('#acr', LOA2);
      await page.getByRole('button', { name: 'Identifiera dig' }).click();
      await page.waitForURL((u) => u.href.startsWith(BASE_URL + '/login/oidc/test/callback'));
      await axeCheck(page, 'too low level of assurance');
      await expectText(page, 'Inloggningen räcker inte för Kontospärr', 'a level-2 login is refused');
    } finally {
      await context.close();
    }
    // The same login and logout with our content security policy in force (the contexts above
    // bypass it for axe): neither way to the provider may be blocked by it.
    const strict = await browser.newContext({ bypassCSP: false, locale: 'sv-SE' });
    const p2 = await strict.newPage();
    p2.setDefaultTimeout(15000);
    const blocked = [];
    p2.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
    try {
      await p2.goto(BASE_URL + '/login', { waitUntil: 'load' });
      await p2.getByRole('link', { name: 'Logga in med Test-IdP', exact: true }).click();
      await p2.waitForURL((u) => u.href.startsWith(ISSUER + '/interaction/'));
      await p2.fill('#hsa_id', SARA);
      await p2.getByRole('button', { name: 'Identifiera dig' }).click();
      await p2.waitForURL(BASE_URL + '/');
      await expectText(p2, 'Sara Sjuksköterska', 'logged in under the CSP');
      await button(p2, 'Logga ut').click();
      await p2.waitForURL((u) => u.href.startsWith(ISSUER + '/session/end'));
      await p2.getByRole('button', { name: 'Ja, logga ut' }).click();
      await p2.waitForURL((u) => u.href.startsWith(BASE_URL + '/utloggad'));
      if (blocked.length) throw new Error(`blocked by the CSP: ${blocked.join(' | ')}`);
    } finally {
      await strict.close();
    }
  }],
  // --- catalog-cases ---
  ['n: a clinician and a handler who chose English file, sign and execute a lock in English', async (browser) => {
    // The Swedish headings of the case pages (none may show on an English page).
    const SWEDISH_HEADINGS = [
      'Ärenden', 'Handläggning', 'Invånare', 'Begäran', 'Händelser', 'Nästa steg', 'Kontrollpunkter',
      'Bilagor', 'Återkoppling', 'Enhet', 'Grund för låsning', 'Strukturerad prövning',
      'Dokumentation före överföring', 'Omprövning', 'Tidigare ärenden för personnumret',
      'Det gick inte', 'Det gick inte att spara', 'Ny begäran om låsning', 'Folkbokföringen (PU)',
    ];
    const inEnglish = async (page, what) => {
      if ((await page.getAttribute('html', 'lang')) !== 'en') throw new Error(`${what}: <html lang> is not en`);
      const headings = (await page.locator('h1, h2, h3, legend, caption').allInnerTexts()).map((t) => t.trim());
      const swedish = headings.filter((h) => SWEDISH_HEADINGS.includes(h) || /^Ärende /.test(h));
      if (swedish.length) throw new Error(`${what}: Swedish headings on an English page: ${swedish.join(' | ')}`);
    };
    const chooseLanguage = async (page, code, saveButton, saved) => {
      await visit(page, '/konto', `account page (${code})`);
      await page.check(`#lang-${code}`);
      await clickAndLoad(page, button(page, saveButton), `language saved (${code})`);
      await expectText(page, saved, `the account page answers in ${code}`);
    };

    // The clinician, in English, files and signs a lock.
    const d = (await session(browser, DORIS)).page;
    await chooseLanguage(d, 'en', 'Spara språk', 'Your language has been saved');
    await visit(d, '/arenden', 'case list (English)');
    await expectText(d, 'New request to lock', 'the case list is in English');
    await inEnglish(d, 'case list');
    await visit(d, '/arenden/ny', 'new lock form (English)');
    await expectText(d, 'Grounds for the lock', 'the form is in English');
    await inEnglish(d, 'new lock form');
    // A field error, worded in English.
    await d.fill('#citizen_pnr', '19121212-1213');
    await clickAndLoad(d, button(d, 'Save draft'), 'lock form with errors (English)', { expectOk: false });
    await expectText(d, 'There is a problem with the form', 'the error summary is in English');
    await inEnglish(d, 'lock form with errors');
    await fillCommon(d, { pnr: '19670710-9804', name: 'Edith Engelsson' });
    await d.check('#risk_kinds-hot');
    await d.check('#basis-medical');
    await d.check('#situations-threat');
    await selectByLabelPart(d, '#review_responsible_user_id', 'Doris');
    await clickAndLoad(d, button(d, 'Save draft'), 'lock draft saved (English)', { expectOk: false });
    if ((await d.locator('#duplicate_reason-error').count()) > 0) {
      await expectText(d, 'already', 'the duplicate is shown in English');
      await d.fill('#duplicate_reason', 'A new assessment: the threat has changed.');
      await clickAndLoad(d, button(d, 'Save draft'), 'lock draft saved with a reason (English)');
    }
    const id = caseIdOf(d);
    await expectText(d, /Status: Draft/, 'the new case is a draft, in English');
    await expectText(d, 'Created the case', 'the timeline is in English');
    await inEnglish(d, 'draft case page');
    await clickAndLoad(d, button(d, 'Sign the decision'), 'case signed (English)');
    await expectText(d, 'Signed by', 'the decision is signed');
    await clickAndLoad(d, button(d, 'Send to the Lock and Log Service'), 'case sent (English)');
    await expectText(d, /Status: Submitted/, 'the case is submitted, in English');
    await inEnglish(d, 'submitted case page');

    // The handler, in English, handles it to execution.
    const h = (await session(browser, HUGO)).page;
    await chooseLanguage(h, 'en', 'Spara språk', 'Your language has been saved');
    await visit(h, '/handlaggning', 'handler queue (English)');
    await expectText(h, 'Case handling', 'the queue is in English');
    await inEnglish(h, 'handler queue');
    await visit(h, `/arenden/${id}`, 'submitted case (handler, English)');
    await inEnglish(h, 'submitted case (handler)');
    await clickAndLoad(h, button(h, 'Receive the case'), 'case received (English)');
    await expectText(h, 'Checks', 'the checklist is in English');
    await inEnglish(h, 'received case');
    let ticked = 0;
    for (;;) {
      const done = h.getByRole('button', { name: /^Done/ });
      if ((await done.count()) === 0) break;
      if (ticked > 10) throw new Error('the checklist does not get done');
      await h.locator('form.check-form input[name="note"]').first().fill(`Checked ${ticked + 1}`);
      await clickAndLoad(h, done.first(), 'checklist item done (English)');
      ticked += 1;
    }
    if (ticked === 0) throw new Error('no checklist item to tick');
    await clickAndLoad(h, button(h, 'The check is complete'), 'case verified (English)');
    await expectText(h, /Status: Checked/, 'the case is verified, in English');
    await h.fill('#helpdesk_ref', 'RÄLS-4712');
    await clickAndLoad(h, button(h, 'Carried out in 1177 – register the registration number'), 'execution without confirmation (English)', { expectOk: false });
    await expectText(h, 'Confirm that the step has been done', 'executing asks for a confirmation in English');
    await inEnglish(h, 'execution refused');
    await h.check('#confirmed-yes');
    await clickAndLoad(h, button(h, 'Carried out in 1177 – register the registration number'), 'case executed (English)');
    const body = await expectText(h, /Status: Carried out/, 'the case is executed, in English');
    if (!/KSD \d{4}-\d{5}/.test(body)) throw new Error(`no diary number on the executed case: ${await pageSummary(h)}`);
    await expectText(h, 'Registered the registration number', 'the timeline is in English');
    await inEnglish(h, 'executed case');

    // Both back to Swedish.
    await chooseLanguage(h, 'sv', 'Save language', 'Språket är sparat');
    await chooseLanguage(d, 'sv', 'Save language', 'Språket är sparat');
  }],
  // --- stats ---
  ['o: statistics for the region and a unit, a wrong month, a CSV table, print, and the manager\'s own unit', async (browser) => {
    const { page } = await session(browser, HUGO);
    await visit(page, '/statistik', 'statistics (handler, the region)');
    await expectText(page, 'Hela regionen.', 'the region view says what it counts');
    const charts = await page.locator('figure svg[role="img"]').count();
    const tables = await page.locator('table.stats-table').count();
    if (charts !== 6 || tables !== 6) throw new Error(`expected 6 charts and 6 tables, got ${charts} and ${tables}`);
    const source = await page.evaluate(async () => (await fetch('/statistik')).text());
    if (source.includes('<script') || source.includes('style="')) throw new Error('the statistics page has a script or an inline style');
    await selectByLabelPart(page, '#enhet', UNIT);
    await clickAndLoad(page, button(page, 'Visa'), 'statistics (handler, one unit)');
    await expectText(page, '< 5', 'small counts of one unit are hidden');
    // Printed: no menu, no form, no download links; the charts and tables stay.
    await page.emulateMedia({ media: 'print' });
    const shown = async (sel) => page.locator(sel).first().isVisible();
    if (await shown('form.stats-filters') || await shown('.site-header') || await shown('.stats-toc')) {
      throw new Error('the printed statistics show the menu, the filter or the table of contents');
    }
    if (!(await shown('table.stats-table')) || !(await shown('svg.chart'))) throw new Error('the printed statistics lack a table or a chart');
    // On paper (Chromium's PDF, read back with pdftotext): the heading, the tables' month
    // column and the hidden small counts, on A4.
    const heading = (await page.locator('h1').innerText()).trim();
    const stats = await printed(page, 'statistics');
    for (const want of [heading, 'Månad', '< 5']) {
      if (!stats.text.includes(want)) throw new Error(`the printed statistics lack "${want}"`);
    }
    if (/\d{8}-\d{4}/.test(stats.text)) throw new Error('a personnummer in the printed statistics');
    await page.emulateMedia({ media: 'screen' });
    const csv = await page.evaluate(async () => {
      const r = await fetch('/statistik/csv?tabell=verkstallda');
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: [...bytes.slice(0, 3)], text: new TextDecoder().decode(bytes) };
    });
    if (csv.status !== 200 || !csv.type.startsWith('text/csv')) throw new Error(`CSV answered ${csv.status} ${csv.type}`);
    if (csv.head.join(',') !== '239,187,191') throw new Error(`the CSV does not begin with a BOM: ${csv.head}`);
    if (!csv.text.includes('"Månad";"Låsning: e-tjänst (Kontospärr)"')) throw new Error(`unexpected CSV header: ${csv.text.slice(0, 120)}`);
    await page.fill('#fran', '2026-13');
    await clickAndLoad(page, button(page, 'Visa'), 'statistics with a wrong month', { expectOk: false });
    await expectText(page, 'Det finns fel i formuläret', 'a wrong month is refused');
    const mats = (await session(browser, 'SE2321000131-E000000000103')).page;
    await visit(mats, '/statistik', 'statistics (manager, own unit)');
    await expectText(mats, `Enheter:`, 'the manager sees their units');
    const body = await mats.locator('body').innerText();
    if (body.includes(TOLVAN) || /\d{8}-\d{4}/.test(body)) throw new Error('a personnummer on the statistics page');
  }],
  // --- startpages ---
  ['p: the handler\'s and the manager\'s start pages show what waits, each count a link to its list', async (browser) => {
    const MATS = 'SE2321000131-E000000000103';
    const hugo = (await session(browser, HUGO)).page;
    await visit(hugo, '/', 'start page with counts (handler)');
    await expectText(hugo, 'Nya och återinskickade ärenden', 'the handler sees the new cases');
    await clickAndLoad(hugo, hugo.locator('a[href="/handlaggning?status=submitted"]'), 'queue: new and resubmitted (from the start page)');
    await expectText(hugo, 'Urval:', 'the queue says its selection');
    await visit(hugo, '/', 'start page (handler, again)');
    await clickAndLoad(hugo, hugo.locator('a[href="/handlaggning?status=form_pending"]'), 'queue: emergency locks waiting for their form');
    const mats = (await session(browser, MATS)).page;
    await visit(mats, '/', 'start page with counts (manager)');
    const soon = mats.locator('a[href="/omprovningar?lage=snart"]');
    const n = Number((await soon.locator('strong').innerText()).trim());
    if (!(n >= 1)) throw new Error(`the demo manager's start page shows no review due: ${await pageSummary(mats)}`);
    await clickAndLoad(mats, soon, 'reviews due soon (from the start page)');
    await expectText(mats, '19640823-3234', 'the review due is listed');
  }],
];

// ---------------------------------------------------------------- main

let ran = 0;
const unknown = ONLY.filter((k) => k !== 'login' && !scenarios.some(([n]) => n.split(':')[0] === k));
if (unknown.length) {
  console.log(`unknown scenario(s) in SCENARIOS: ${unknown.join(', ')}`);
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // The login page as an anonymous visitor.
  if (chosen('login')) {
    const context = await browser.newContext({ bypassCSP: true, locale: 'sv-SE' });
    const page = await context.newPage();
    log('-- login page');
    try {
      await visit(page, '/login', 'login page (anonymous)');
      await page.fill('#hsa_id', 'SE2321000131-E000000000999');
      await page.fill('#password', 'fel lösenord');
      await page.fill('#code', '000000');
      await clickAndLoad(page, button(page, 'Logga in'), 'login page with an error', { expectOk: false });
      await expectText(page, 'Inloggningen misslyckades', 'a wrong password is refused');
    } catch (e) {
      log(`   FAILED: ${e.message}`);
      failures.push(`login page: ${e.message}`);
    } finally { await context.close(); }
  }
  for (const [name, run] of scenarios) {
    if (!chosen(name.split(':')[0])) continue;
    ran += 1;
    log(`-- ${name}`);
    const started = Date.now();
    try {
      await run(browser);
      log(`   passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (e) {
      log(`   FAILED: ${e.message}`);
      failures.push(`${name}: ${e.message}`);
    }
  }
} finally {
  await browser.close();
}

if (axeFindings.length) {
  console.log(`\naxe-core: ${axeFindings.length} serious or critical violation(s):`);
  for (const f of axeFindings) {
    console.log(`- [${f.impact}] ${f.id} on ${f.what} (${f.path}): ${f.help}`);
    for (const t of f.targets.slice(0, 8)) console.log(`    at ${t}`);
    if (f.targets.length > 8) console.log(`    … and ${f.targets.length - 8} more`);
    if (f.summary) console.log(`    ${f.summary}`);
  }
}
if (failures.length) {
  console.log(`\n${failures.length} scenario(s) failed:`);
  for (const f of failures) console.log(`- ${f}`);
}
console.log(`\n${pagesChecked} pages checked with axe-core, ${axeFindings.length} serious or critical violation(s); ${failures.length} failure(s) in ${ran} scenario(s)${chosen('login') ? ' and the login page' : ''}.`);
process.exit(failures.length || axeFindings.length ? 1 : 0);
