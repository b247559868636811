// A family's whole journey in headless Chromium, fields found by their
// labels: sign up with the demo dossier → activation link from the outbox →
// activate → log out → log in → forgotten password → reset → log in.
// axe-core must find nothing on every page visited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, lastMailedLink, field, visit, fillStep1, completeSignUp } from './browser.mjs';

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
