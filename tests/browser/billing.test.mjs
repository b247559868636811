// Facturation in headless Chromium. tests/run.sh imports the example
// dossiers and books last month's canteen for the Petit family with
// `portal demo mois-passe` (every day pointed but the last). The régie opens
// the campaign, finds the error line, follows its link; an agent of the
// enfance service points the day; the régie runs the campaign again and
// publishes. The family signs up, sees "1 facture(s) en attente(s)", opens
// the invoice and downloads its PDF. axe-core finds nothing on any page;
// the pages fit a 375 px screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, field, visit, agentFromInvitation, signUpWithDemoDossier } from './browser.mjs';

const regieLink = process.env.EF_TEST_REGIE_LINK;
const pointerLink = process.env.EF_TEST_POINTER_LINK;
const month = process.env.EF_TEST_BILLED_MONTH;
if (!regieLink || !pointerLink || !month) {
  throw new Error('EF_TEST_REGIE_LINK, EF_TEST_POINTER_LINK, EF_TEST_BILLED_MONTH manquent : lancez tests/run.sh.');
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The page at 375 px: nothing wider than the screen; with
// EF_TEST_SCREENSHOTS set, a full-page picture to look at.
let shots = 0;
async function fitsAPhone(page) {
  await page.setViewportSize({ width: 375, height: 800 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, page.url());
  const dir = process.env.EF_TEST_SCREENSHOTS;
  if (dir) {
    shots += 1;
    const slug = new URL(page.url()).pathname.replace(/[^a-z0-9]+/gi, '_');
    await page.screenshot({ path: `${dir}/${shots}${slug}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

// Reloads the campaign page until its step is the one expected.
async function until(page, step) {
  for (let i = 0; i < 40; i += 1) {
    if (new RegExp(`Étape\\s+${step}`).test(await page.locator('main').innerText())) return;
    await page.waitForTimeout(500);
    await visit(page, () => page.reload());
  }
  assert.fail(`la campagne n'atteint pas l'étape « ${step} »`);
}

test('la famille adhère au prélèvement ; la régie valide le mandat, facture un mois pointé, corrige une erreur, publie ; la facture dit quand elle sera prélevée', async () => {
  // The family signs a mandate.
  const family = await (await browser.newContext()).newPage();
  await signUpWithDemoDossier(family, {
    email: `factures.${Date.now()}@example.org`,
    username: `fac${Date.now()}`,
    password: 'Grenadine-tulipe-42-velo',
    dossier: ['D2022-0031', 'petit', '618'],
  });
  await visit(family, () => family.goto(baseUrl + '/factures'));
  await visit(family, () => family.getByRole('link', { name: 'Adhérer au prélèvement automatique' }).click());
  await fitsAPhone(family);
  await field(family, 'Titulaire du compte').fill('Julie Petit');
  await field(family, 'IBAN').fill('FR76 3000 1007 9412 3456 7890 186');
  await family.getByLabel(/je l'accepte/).check();
  await visit(family, () => family.getByRole('button', { name: 'Signer le mandat' }).click());
  assert.match(await family.getByRole('alert').innerText(), /IBAN : Cet IBAN n'est pas valide/);
  assert.equal(await field(family, 'Titulaire du compte').inputValue(), 'Julie Petit');
  await field(family, 'IBAN').fill('fr76 3000 1007 9412 3456 7890 185');
  await family.getByLabel(/je l'accepte/).check();
  await visit(family, () => family.getByRole('button', { name: 'Signer le mandat' }).click());
  assert.match(await family.locator('main').innerText(), /en attente de validation par la régie/);

  const regie = await (await browser.newContext()).newPage();
  await agentFromInvitation(regie, regieLink, 'regie@ville.example.org', 'Fougere-horloge-93-piano');
  await visit(regie, () => regie.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Facturation' }).click());
  await visit(regie, () => regie.getByRole('link', { name: 'Mandats de prélèvement' }).click());
  await fitsAPhone(regie);
  const mandate = regie.getByRole('region', { name: /^Mandat EF-D2022-0031-/ });
  assert.match(await mandate.innerText(), /FR7630001007941234567890185/);
  await visit(regie, () => mandate.getByRole('button', { name: /Valider le mandat/ }).click());
  assert.match(await regie.locator('main').innerText(), /Mandat validé/);
  await visit(regie, () => regie.getByRole('link', { name: '← Facturation' }).click());
  await fitsAPhone(regie);
  // A due date before the issue date: refused next to the field.
  await regie.getByLabel('Mois facturé').selectOption(month);
  await field(regie, "Date d'échéance").fill('2026-01-01');
  await visit(regie, () => regie.getByRole('button', { name: 'Ouvrir et calculer le brouillon' }).click());
  assert.match(await regie.getByRole('alert').first().innerText(), /L'échéance doit venir après la date d'émission/);
  const due = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  const debit = new Date(Date.now() + 20 * 86400e3);
  await field(regie, "Date d'échéance").fill(due);
  await field(regie, 'Date de prélèvement (familles en prélèvement)').fill(debit.toISOString().slice(0, 10));
  await visit(regie, () => regie.getByRole('button', { name: 'Ouvrir et calculer le brouillon' }).click());
  await until(regie, 'brouillon');
  const main = await regie.locator('main').innerText();
  assert.match(main, /jour réservé sans pointage \(1\)/);
  assert.match(main, /Lina Petit/);
  assert.equal(await regie.getByRole('button', { name: 'Publier les factures' }).count(), 0);
  await fitsAPhone(regie);
  const campaign = regie.url();
  const pointage = await regie.getByRole('link', { name: 'Pointer ce jour' }).getAttribute('href');

  // The enfance service points the day the journal links to.
  const agent = await (await browser.newContext()).newPage();
  await agentFromInvitation(agent, pointerLink, 'pointage@ville.example.org', 'Fougere-horloge-93-piano');
  await visit(agent, () => agent.goto(baseUrl + pointage));
  await agent.getByRole('group', { name: /Présence de Lina Petit/ }).getByLabel('présent').check();
  await visit(agent, () => agent.getByRole('button', { name: /Enregistrer/ }).click());

  // Run again: no error left; publish.
  await visit(regie, () => regie.goto(campaign));
  await visit(regie, () => regie.getByRole('button', { name: 'Relancer le calcul' }).click());
  await until(regie, 'brouillon');
  assert.match(await regie.locator('main').innerText(), /0 en erreur/);
  await visit(regie, () => regie.getByRole('button', { name: 'Publier les factures' }).click());
  await until(regie, 'publiée');

  // The family.
  await visit(family, () => family.goto(baseUrl + '/compte'));
  assert.match(await family.locator('main').innerText(), /Régie : 1 facture\(s\) en attente\(s\)/);
  await visit(family, () => family.getByRole('link', { name: 'Voir mes factures' }).click());
  await fitsAPhone(family);
  await visit(family, () => family.getByRole('link', { name: /^Facture F-\d{4}-\d{6}$/ }).first().click());
  const invoice = await family.locator('main').innerText();
  assert.match(invoice, /Restauration scolaire — Repas/);
  assert.match(invoice, /Reste à payer/);
  const day = debit.toISOString().slice(0, 10).split('-').reverse().join('/');
  assert.match(invoice, new RegExp(`Sera prélevée le ${day}`));
  assert.doesNotMatch(invoice, /Payer en ligne/);
  await fitsAPhone(family);
  const [download] = await Promise.all([
    family.waitForEvent('download'),
    family.getByRole('link', { name: /Télécharger la facture/ }).click(),
  ]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(path).subarray(0, 5).toString(), '%PDF-');
  assert.match(download.suggestedFilename(), /^F-\d{4}-\d{6}\.pdf$/);
});
