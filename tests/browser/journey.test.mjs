// A family's whole journey in headless Chromium, fields found by their
// labels: sign up with the demo dossier → activation link from the outbox →
// activate → log out → log in → forgotten password → reset → log in. Then
// it pays its invoice on the portal's test gateway, telling the gateway to
// send neither the notification nor the browser back, and closes the tab:
// the invoice is still to pay until the operator's re-check (`portal
// paiements verifier`, what the periodic job does after 5 minutes) asks the
// gateway — then paid, once, with a receipt e-mail.
// Last, it writes to the régie with a PDF and the e-mail confirmation; an
// agent of the régie takes the message and answers with an attachment; the
// family sees the unread count, reads the answer and replies.
// axe-core must find nothing on every page visited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, baseUrl, lastMailedLink, field, visit, awaitMail, fillStep1, completeSignUp, agentFromInvitation } from './browser.mjs';

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
  await visit(page, () => page.getByRole('button', { name: 'Envoyer' }).click());
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

test('la famille écrit à la régie avec un PDF, un agent répond avec une pièce jointe, la famille lit et répond', async () => {
  const inboxLink = process.env.EF_TEST_INBOX_LINK;
  assert.ok(inboxLink, 'EF_TEST_INBOX_LINK manque : lancez tests/run.sh.');
  const family = await (await browser.newContext()).newPage();
  await logIn(family, email, newPassword);
  await visit(family, () => family.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Messagerie' }).click());
  await visit(family, () => family.getByRole('link', { name: 'Écrire un message' }).click());
  await family.setViewportSize({ width: 375, height: 800 });
  assert.equal(await family.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);
  await family.setViewportSize({ width: 1280, height: 800 });
  // Nothing typed: the errors are announced, next to each field.
  await visit(family, () => family.getByRole('button', { name: 'Envoyer le message' }).click());
  assert.match(await family.getByRole('alert').innerText(), /Objet : Indiquez l'objet/);
  await field(family, 'Service').selectOption('regie');
  await field(family, 'Thème').selectOption({ label: 'Factures et paiements' });
  await field(family, 'Objet').fill('Attestation de paiement');
  await field(family, 'Message').fill("Bonjour,\nPourriez-vous m'envoyer une attestation de paiement pour la CAF ?");
  await family.getByLabel('Pièces jointes (facultatif)').setInputFiles({
    name: 'releve.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% releve\n'),
  });
  await family.getByLabel('Recevoir une confirmation par e-mail').check();
  await visit(family, () => family.getByRole('button', { name: 'Envoyer le message' }).click());
  assert.match(await family.locator('main').innerText(), /Message envoyé/);
  await awaitMail(email, (t) => /est bien envoyé/.test(t), 'de confirmation');

  // An agent of the régie takes it and answers with a file.
  const agent = await (await browser.newContext()).newPage();
  await agentFromInvitation(agent, inboxLink, 'messagerie.regie@ville.example.org', 'Fougere-horloge-93-piano');
  await visit(agent, () => agent.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Messagerie' }).click());
  assert.match(await agent.locator('main').innerText(), /Plus ancien message sans réponse/);
  await visit(agent, () => agent.getByRole('link', { name: 'Attestation de paiement' }).click());
  await visit(agent, () => agent.getByRole('button', { name: 'Prendre ce fil' }).click());
  assert.match(await agent.locator('main').innerText(), /en cours \(Nadia Benali\)/);
  await field(agent, 'Message').fill('Bonjour, voici votre attestation.');
  await agent.getByLabel('Pièces jointes (facultatif)').setInputFiles({
    name: 'attestation.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% attestation\n'),
  });
  await visit(agent, () => agent.getByRole('button', { name: 'Envoyer', exact: true }).click());
  assert.match(await agent.locator('main').innerText(), /voici votre attestation/);

  // The family: one unread message; reads it, downloads the file, replies.
  await visit(family, () => family.goto(baseUrl + '/compte'));
  assert.match(await family.locator('main').innerText(), /Messagerie : 1 message\(s\) non lu\(s\)/);
  await visit(family, () => family.getByRole('link', { name: 'Lire mes messages' }).click());
  await visit(family, () => family.getByRole('link', { name: 'Attestation de paiement' }).click());
  const thread = await family.locator('main').innerText();
  assert.match(thread, /voici votre attestation/);
  const [download] = await Promise.all([
    family.waitForEvent('download'),
    family.getByRole('link', { name: /Pièce jointe 1 \(PDF/ }).last().click(),
  ]);
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(await download.path()).subarray(0, 5).toString(), '%PDF-');
  await field(family, 'Message').fill('Merci beaucoup !');
  await visit(family, () => family.getByRole('button', { name: 'Envoyer la réponse' }).click());
  assert.match(await family.locator('main').innerText(), /Merci beaucoup/);
  await visit(family, () => family.goto(baseUrl + '/compte'));
  assert.doesNotMatch(await family.locator('main').innerText(), /non lu/);
});
