// Registration in headless Chromium: a family (the Nguyen dossier of the
// example import: the demo dossier already has the journey's account, and a
// second account waits for the town) registers Minh to the school
// canteen with an attestation (PDF) → an agent of the service validates it
// from the queue → the family sees "validée" and has the e-mail. axe-core
// must find nothing on every page visited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, field, visit, awaitMail, signUpWithDemoDossier, agentFromInvitation } from './browser.mjs';

const link = process.env.EF_TEST_VALIDATOR_LINK;
if (!link) throw new Error("EF_TEST_VALIDATOR_LINK manque : lancez tests/run.sh, qui crée l'agent.");

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const email = `inscription.${Date.now()}@example.org`;
const pdf = Buffer.from('%PDF-1.4\n% attestation de quotient familial\n%%EOF\n');

test("inscription d'un enfant à la restauration, validée par la mairie", async () => {
  const family = await (await browser.newContext()).newPage();
  await signUpWithDemoDossier(family, {
    email, username: `ins${Date.now()}`, password: 'Grenadine-tulipe-42-velo', dossier: ['D2024-0153', 'nguyen', '501'],
  });

  // The steps: child, activity, then days and the supporting document.
  await visit(family, () => family.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Inscriptions' }).click());
  await visit(family, () => family.getByRole('link', { name: 'Nouvelle inscription' }).click());
  await family.getByLabel('Minh Nguyen (CM2)').check();
  await visit(family, () => family.getByRole('button', { name: 'Continuer' }).click());
  await family.getByLabel(/^Restauration scolaire/).check();
  await visit(family, () => family.getByRole('button', { name: 'Continuer' }).click());
  assert.match(await family.locator('main').innerText(), /Étape 3\/3/);
  assert.notEqual(await field(family, "Date d'entrée souhaitée").inputValue(), '');
  // Sent without the document first: the error is announced next to it.
  await family.getByLabel('Lundi').check();
  await family.getByLabel('Jeudi').check();
  await visit(family, () => family.getByRole('button', { name: 'Enregistrer ma demande' }).click());
  assert.match(await family.getByRole('alert').first().innerText(), /Joignez ce document/);
  assert.equal(await family.getByLabel('Jeudi').isChecked(), true);
  await field(family, 'Attestation de quotient familial (CAF ou MSA)').setInputFiles({
    name: 'attestation-caf.pdf', mimeType: 'application/pdf', buffer: pdf,
  });
  await visit(family, () => family.getByRole('button', { name: 'Enregistrer ma demande' }).click());
  const listed = await family.locator('main').innerText();
  assert.match(listed, /La mairie doit la valider avant toute réservation/);
  assert.match(listed, /Minh Nguyen\s+Restauration scolaire[\s\S]*en attente/);

  // The agent validates it from the queue, with the document at hand.
  const agent = await (await browser.newContext()).newPage();
  await agentFromInvitation(agent, link, 'validation@ville.example.org', 'Fougere-horloge-93-piano');
  await visit(agent, () => agent.getByRole('link', { name: 'Inscriptions à valider' }).click());
  await visit(agent, () => agent.getByRole('link', { name: 'Minh Nguyen' }).first().click());
  const download = agent.waitForEvent('download');
  await agent.getByRole('link', { name: /Télécharger Attestation de quotient familial/ }).first().click();
  assert.match((await download).suggestedFilename(), /^Attestation-de-quotient-familial.*\.pdf$/);
  await visit(agent, () => agent.getByRole('button', { name: "Valider l'inscription" }).click());
  assert.match(await agent.locator('main').innerText(), /Décision enregistrée/);

  // The family sees it and has the e-mail.
  await visit(family, () => family.goto(baseUrl + '/inscriptions'));
  assert.match(await family.locator('main').innerText(), /Restauration scolaire[\s\S]*validée/);
  await awaitMail(email, (m) => m.includes("La mairie a validé l'inscription de Minh Nguyen"), "de validation");
  await visit(family, () => family.goto(baseUrl + '/dossier/documents'));
  assert.match(await family.locator('main').innerText(), /Attestation de quotient familial/);
});
