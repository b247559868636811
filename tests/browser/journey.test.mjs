// A family's whole journey in headless Chromium, fields found by their
// labels: sign up with the demo dossier → activation link from the outbox →
// activate → log out → log in → forgotten password → reset → log in. Then
// it pays its invoice on the portal's test gateway, telling the gateway to
// send neither the notification nor the browser back, and closes the tab:
// the invoice is still to pay until the operator's re-check (`portal
// paiements verifier`, what the periodic job does after 5 minutes) asks the
// gateway — then paid, once, with a receipt e-mail.
// axe-core must find nothing on every page visited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, baseUrl, lastMailedLink, field, visit, awaitMail, fillStep1, completeSignUp } from './browser.mjs';

const portalCmd = process.env.EF_TEST_PORTAL_CMD;
if (!portalCmd) throw new Error('EF_TEST_PORTAL_CMD manque : lancez tests/run.sh.');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const email = `parent.${Date.now()}@example.org`;
const username = `parent${Date.now()}`;
const password = 'Grenadine-tulipe-42-velo';
const newPassword = 'Marmotte-cerise-17-kayak';



async function logIn(page, who, secret) {
  await visit(page, () => page.goto(baseUrl + '/compte/connexion'));
  await field(page, "Nom d'utilisateur ou adresse e-mail").fill(who);
  await field(page, 'Mot de passe').fill(secret);
  await visit(page, () => page.getByRole('button', { name: 'Se connecter' }).click());
  assert.equal(new URL(page.url()).pathname, '/compte');
  assert.match(await page.locator('main').innerText(), /D2026-0142/);
}

async function logOut(page) {
  await visit(page, () => page.getByRole('button', { name: 'Se déconnecter' }).click());
  assert.match(await page.locator('main').innerText(), /Vous êtes déconnecté/);
}

test('inscription, activation, connexion, mot de passe oublié', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();

  // Step 1, first with an error announced next to its field.
  await visit(page, () => page.goto(baseUrl + '/compte/inscription'));
  assert.match(await page.locator('main').innerText(), /Étape 1\/4/);
  await fillStep1(page, { email, username, password: 'court' });
  await visit(page, () => page.getByRole('button', { name: 'Continuer' }).click());
  assert.match(await page.getByRole('alert').innerText(), /12 caractères au moins/);
  assert.equal(await field(page, 'Prénom').inputValue(), 'Émilie');
  await field(page, 'Mot de passe').fill(password);
  await field(page, 'Confirmation du mot de passe').fill(password);
  await visit(page, () => page.getByRole('button', { name: 'Continuer' }).click());

  // Steps 2 to 4 with the demo dossier's references; activation signs in.
  await completeSignUp(page, email);
  assert.match(await page.locator('main').innerText(), /Votre compte est activé/);
  await logOut(page);
  await logIn(page, username, password);
  await logOut(page);

  // Forgotten password.
  await visit(page, () => page.goto(baseUrl + '/compte/connexion'));
  await visit(page, () => page.getByRole('link', { name: 'Mot de passe oublié ?' }).click());
  await field(page, 'Adresse e-mail').fill(email);
  await visit(page, () => page.getByRole('button', { name: 'Recevoir un lien' }).click());
  assert.match(await page.locator('main').innerText(), /Si cette adresse correspond/);
  await visit(page, async () => page.goto(baseUrl + await lastMailedLink(email, '/compte/nouveau-mot-de-passe')));
  await field(page, 'Nouveau mot de passe').fill(newPassword);
  await field(page, 'Confirmation du mot de passe').fill(newPassword);
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click());
  assert.match(await page.locator('main').innerText(), /mot de passe a été changé/);
  await logIn(page, email, newPassword);

  // Mon dossier and its pages are reachable and clean too.
  await visit(page, () => page.getByRole('link', { name: 'Mon dossier' }).click());
  assert.match(await page.locator('main').innerText(), /D2026-0142/);
  await visit(page, () => page.getByRole('link', { name: 'Mes enfants' }).click());
  assert.match(await page.locator('main').innerText(), /Léa Lefèvre/);
  await visit(page, () => page.getByRole('link', { name: 'Mes coordonnées' }).click());
  await field(page, 'Téléphone du responsable 1').fill('06 00');
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer' }).click());
  assert.match(await page.getByRole('alert').innerText(), /Numéro de téléphone invalide/);
  await field(page, 'Téléphone du responsable 1').fill('07 98 76 54 32');
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer' }).click());
  assert.match(await page.locator('main').innerText(), /Vos coordonnées sont enregistrées/);

  // Mon compte is reachable and clean too.
  await visit(page, () => page.getByRole('link', { name: 'Mon compte' }).first().click());
  assert.match(await page.locator('h1').innerText(), /Mon compte/);
  await context.close();
});

test("la famille paie, ferme l'onglet sans revenir : la facture est payée après la vérification", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, email, newPassword);
  await visit(page, () => page.goto(baseUrl + '/factures/F2026-10-000587'));
  assert.match(await page.locator('main').innerText(), /Reste à payer/);
  await visit(page, () => page.getByRole('button', { name: /Payer en ligne/ }).click());
  // The gateway's page: pay, without notification nor return.
  assert.match(page.url(), /\/paiement\/test\?idop=/);
  await page.setViewportSize({ width: 320, height: 800 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, page.url());
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByLabel('Ne pas envoyer la notification').check();
  await page.getByLabel('Ne pas revenir sur le portail (onglet fermé)').check();
  await visit(page, () => page.getByRole('button', { name: 'Payer', exact: true }).click());
  assert.match(await page.locator('main').innerText(), /vous pouvez fermer cet onglet/);
  await page.close();

  // Later, in a new tab: nothing known yet.
  const later = await context.newPage();
  await visit(later, () => later.goto(baseUrl + '/factures/F2026-10-000587'));
  assert.match(await later.locator('main').innerText(), /À payer avant le/);
  const out = execFileSync(portalCmd, ['paiements', 'verifier'], { encoding: 'utf8' });
  assert.match(out, /^1 paiement\(s\) réglé\(s\)/m);
  await visit(later, () => later.reload());
  const paid = await later.locator('main').innerText();
  assert.match(paid, /Payée/);
  assert.doesNotMatch(paid, /Payer en ligne/);
  await awaitMail(email, (t) => /Votre paiement de 86,40 € par carte sur la facture n° F2026-10-000587/.test(t), 'de reçu');
  // Asked again: nothing more.
  assert.match(execFileSync(portalCmd, ['paiements', 'verifier'], { encoding: 'utf8' }), /^0 paiement/m);
  await context.close();
});
