// Shared by the browser tests: Debian's Chromium driven by playwright-core
// (no browser download), the portal's address, and an axe-core check.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const baseUrl = (() => {
  const url = process.env.EF_TEST_PORTAL_URL;
  if (!url) {
    throw new Error('EF_TEST_PORTAL_URL manque : lancez tests/run.sh, qui démarre le portail local.');
  }
  return url.replace(/\/$/, '');
})();

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.EF_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  // Every page records the Content-Security-Policy violations it meets;
  // assertNoAxeViolations fails on any (the portal's CSP must fit its pages).
  const newPage = browser.newPage.bind(browser);
  const newContext = browser.newContext.bind(browser);
  browser.newPage = async (options) => {
    const page = await newPage(options);
    await page.addInitScript(recordCspViolations);
    return page;
  };
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(recordCspViolations);
    return context;
  };
  return browser;
}

function recordCspViolations() {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
  });
}

// Runs axe-core (every rule of its default set) and fails with the list of
// violations, if any.
export async function assertNoAxeViolations(page) {
  const csp = await page.evaluate(() => window.__cspViolations || []);
  assert.deepEqual(csp, [], `Content-Security-Policy sur ${page.url()}`);
  // Evaluated through the DevTools protocol: the page's CSP (no inline
  // script) stays on while axe-core runs.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const lines = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(lines, [], `axe-core sur ${page.url()}`);
}

// The messages the local portal wrote for `to` (its outbox folder is
// EF_TEST_OUTBOX), quoted-printable decoded, newest first.
export function mailsTo(to) {
  const dir = process.env.EF_TEST_OUTBOX;
  if (!dir) throw new Error('EF_TEST_OUTBOX manque : lancez tests/run.sh.');
  return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().reverse()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .filter((raw) => raw.includes(`To: ${to}`))
    .map((raw) => Buffer.from(
      raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8'));
}

// The first message to `to` (newest first) that `found` accepts, waiting
// for the portal's outbox sender to deliver it (it runs beside the request,
// as the `mailer` function does on AWS); `found` returns a value or null.
export async function awaitMail(to, found, what, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    for (const text of mailsTo(to)) {
      const value = found(text);
      if (value) return value;
    }
    if (Date.now() > until) throw new Error(`aucun courriel ${what} reçu par ${to}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// The last link to `path` sent to `to`.
export async function lastMailedLink(to, path) {
  const pattern = new RegExp(`https?://[^\\s"<>]*${path.replace(/[/?]/g, '\\$&')}\\?jeton=[A-Za-z0-9_-]+`);
  return awaitMail(to, (text) => {
    const match = text.match(pattern);
    return match && new URL(match[0]).pathname + new URL(match[0]).search;
  }, `avec un lien ${path}`);
}

// A field by its label's text (the required fields' label ends with an
// asterisk hidden from screen readers).
export function field(page, label) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByLabel(new RegExp(`^${escaped}( \\*)?$`));
}

// The page at 320 and 375 px wide: no wider than the screen, and every
// target (link out of a sentence, button, field, box, summary) at least
// 24 × 24 px (WCAG 2.2, 2.5.8); then back to the viewport it had.
export async function fitsSmallScreens(page) {
  const original = page.viewportSize();
  for (const width of [320, 375]) {
    await page.setViewportSize({ width, height: 800 });
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(over, 0, `${page.url()} : ${over} px de trop à ${width} px de large`);
    const small = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('a[href], button, input:not([type="hidden"]), select, textarea, summary')) {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        // Hidden, or only for screen readers.
        if (r.width <= 2 || r.height <= 2 || style.visibility === 'hidden') continue;
        if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
        // WCAG's inline exception: a link within a sentence.
        if (el.tagName === 'A' && style.display === 'inline') continue;
        if (r.width < 24 || r.height < 24) {
          const what = (el.innerText || el.value || el.name || el.id || '').trim().slice(0, 40);
          out.push(`${el.tagName.toLowerCase()} « ${what} » ${Math.round(r.width)} × ${Math.round(r.height)}`);
        }
      }
      return out;
    });
    assert.deepEqual(small, [], `cibles de moins de 24 × 24 px à ${width} px sur ${page.url()}`);
  }
  if (original) await page.setViewportSize(original);
}

// Runs an action that loads a page, then checks that page with axe-core;
// with EF_TEST_HTML_DIR set, keeps its HTML for the Nu HTML Checker too.
let kept = 0;
export async function visit(page, action) {
  await action();
  await page.waitForLoadState('load');
  const dir = process.env.EF_TEST_HTML_DIR;
  if (dir) {
    // Before axe-core's script is added to the page.
    const slug = new URL(page.url()).pathname.replace(/[^a-z0-9]+/gi, '_');
    kept += 1;
    writeFileSync(join(dir, `${process.pid}-${kept}${slug}.html`), await page.content());
  }
  await assertNoAxeViolations(page);
  await fitsSmallScreens(page);
}

// The demo dossier's references: numéro, responsable, invoice digits.
export const DEMO_DOSSIER = ['D2026-0142', 'lefevre', '587'];

// Signs up with a dossier's references (the demo one by default) and
// activates the account from its e-mail; the page ends signed in on /compte.
export async function signUpWithDemoDossier(page, { email, username, password, dossier = DEMO_DOSSIER }) {
  await visit(page, () => page.goto(baseUrl + '/compte/inscription'));
  await fillStep1(page, { email, username, password });
  await visit(page, () => page.getByRole('button', { name: 'Continuer' }).click());
  await completeSignUp(page, email, dossier);
}

export async function fillStep1(page, { email, username, password }) {
  await field(page, 'Nom').fill('Lefèvre');
  await field(page, 'Prénom').fill('Émilie');
  await field(page, 'Adresse e-mail').fill(email);
  await field(page, "Confirmation de l'adresse e-mail").fill(email);
  await field(page, "Nom d'utilisateur").fill(username);
  await field(page, 'Mot de passe').fill(password);
  await field(page, 'Confirmation du mot de passe').fill(password);
}

// Steps 2 to 4 with a dossier's references, then the activation link.
export async function completeSignUp(page, email, [numero, responsable, digits] = DEMO_DOSSIER) {
  assert.match(await page.locator('main').innerText(), /Étape 2\/4/);
  await field(page, 'Numéro de dossier famille').fill(numero);
  await field(page, 'Nom du responsable du dossier').fill(responsable);
  await field(page, "3 derniers chiffres d'une facture").fill(digits);
  // On a phone the primary action is within the first screen.
  const size = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 812 });
  const primary = await page.getByRole('button', { name: 'Vérifier et continuer' }).boundingBox();
  assert.ok(primary.y + primary.height <= 812, `« Vérifier et continuer » à ${primary.y} px sur un téléphone`);
  await page.setViewportSize(size);
  await visit(page, () => page.getByRole('button', { name: 'Vérifier et continuer' }).click());
  assert.match(await page.locator('main').innerText(), /Étape 3\/4/);
  await field(page, "J'ai lu et j'accepte les conditions générales d'utilisation").check();
  await field(page, "J'ai lu et j'accepte le règlement intérieur").check();
  await visit(page, () => page.getByRole('button', { name: 'Continuer' }).click());
  assert.match(await page.locator('main').innerText(), new RegExp(`Étape 4/4[\\s\\S]*${numero}`));
  await visit(page, () => page.getByRole('button', { name: 'Valider' }).click());
  assert.match(await page.locator('h1').innerText(), /Vérifiez votre messagerie/);
  await visit(page, async () => page.goto(baseUrl + await lastMailedLink(email, '/compte/activation')));
  assert.equal(new URL(page.url()).pathname, '/compte');
}

// An agent's first password from the operator's invitation link, then login.
export async function agentFromInvitation(page, link, email, password) {
  await visit(page, () => page.goto(baseUrl + new URL(link).pathname + new URL(link).search));
  await field(page, 'Nouveau mot de passe').fill(password);
  await field(page, 'Confirmation du mot de passe').fill(password);
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click());
  await field(page, 'Adresse e-mail professionnelle').fill(email);
  await field(page, 'Mot de passe').fill(password);
  await visit(page, () => page.getByRole('button', { name: 'Se connecter' }).click());
  assert.equal(new URL(page.url()).pathname, '/agents');
}
