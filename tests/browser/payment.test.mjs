// Paying online in headless Chromium, on the portal's test gateway: the
// family pays its invoice, tells the gateway to send neither the
// notification nor the browser back, and closes the tab — the invoice is
// still to pay; the operator's re-check (`portal paiements verifier`, what
// the periodic job does after 5 minutes) asks the gateway, and the invoice
// is paid, once, with a receipt e-mail. axe-core finds nothing on any page;
// the pages fit a 320 px screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, baseUrl, visit, awaitMail, signUpWithDemoDossier } from './browser.mjs';

const portalCmd = process.env.EF_TEST_PORTAL_CMD;
if (!portalCmd) throw new Error('EF_TEST_PORTAL_CMD manque : lancez tests/run.sh.');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function fits(page, width) {
  await page.setViewportSize({ width, height: 800 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, page.url());
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("la famille paie, ferme l'onglet sans revenir : la facture est payée après la vérification", async () => {
  const context = await browser.newContext();
  const family = await context.newPage();
  const email = `paiement.${Date.now()}@example.org`;
  await signUpWithDemoDossier(family, { email, username: `pai${Date.now()}`, password: 'Grenadine-tulipe-42-velo' });
  await visit(family, () => family.goto(baseUrl + '/factures/F2026-10-000587'));
  assert.match(await family.locator('main').innerText(), /Reste à payer/);
  await visit(family, () => family.getByRole('button', { name: /Payer en ligne/ }).click());
  // The gateway's page: pay, without notification nor return.
  assert.match(family.url(), /\/paiement\/test\?idop=/);
  await fits(family, 320);
  await family.getByLabel('Ne pas envoyer la notification').check();
  await family.getByLabel('Ne pas revenir sur le portail (onglet fermé)').check();
  await visit(family, () => family.getByRole('button', { name: 'Payer', exact: true }).click());
  assert.match(await family.locator('main').innerText(), /vous pouvez fermer cet onglet/);
  await family.close();

  // Later, in a new tab: nothing known yet.
  const later = await context.newPage();
  await visit(later, () => later.goto(baseUrl + '/factures/F2026-10-000587'));
  assert.match(await later.locator('main').innerText(), /À payer avant le/);
  const out = execFileSync(portalCmd, ['paiements', 'verifier'], { encoding: 'utf8' });
  assert.match(out, /^1 paiement\(s\) réglé\(s\)/m);
  await visit(later, () => later.reload());
  const page = await later.locator('main').innerText();
  assert.match(page, /Payée/);
  assert.doesNotMatch(page, /Payer en ligne/);
  await awaitMail(email, (t) => /Votre paiement de 86,40 € par carte sur la facture n° F2026-10-000587/.test(t), 'de reçu');
  // Asked again: nothing more.
  assert.match(execFileSync(portalCmd, ['paiements', 'verifier'], { encoding: 'utf8' }), /^0 paiement/m);
  await context.close();
});
