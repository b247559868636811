// The agents' side in headless Chromium: the invitation link printed by
// `portal agent add` (tests/run.sh runs it) → choose a password → log in →
// the review queue and the dossiers; axe-core finds nothing on each page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, field, visit, agentFromInvitation } from './browser.mjs';

const link = process.env.EF_TEST_AGENT_LINK;
if (!link) throw new Error("EF_TEST_AGENT_LINK manque : lancez tests/run.sh, qui crée l'agent.");

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });



test("un agent choisit son mot de passe, se connecte et consulte un dossier", async () => {
  const page = await browser.newPage();
  const password = 'Fougere-horloge-93-piano';
  await agentFromInvitation(page, link, 'claire.martin@ville.example.org', password);
  await visit(page, () => page.getByRole('link', { name: 'Comptes à rattacher' }).click());
  await visit(page, () => page.goto(baseUrl + '/agents'));
  // Undelivered mail, on a phone-sized screen too.
  await visit(page, () => page.getByRole('link', { name: 'Courriels non distribués' }).click());
  assert.match(await page.locator('main').innerText(), /Aucun courriel non distribué/);
  await page.setViewportSize({ width: 375, height: 800 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);
  await page.setViewportSize({ width: 1280, height: 800 });
  await visit(page, () => page.goto(baseUrl + '/agents'));
  await visit(page, () => page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Dossiers' }).click());
  await field(page, "Numéro de dossier, nom du responsable ou de l'enfant").fill('lefevre');
  await visit(page, () => page.getByRole('button', { name: 'Rechercher' }).click());
  await visit(page, () => page.getByRole('link', { name: 'D2026-0142' }).click());
  assert.match(await page.locator('main').innerText(), /Léa Lefèvre/);
  await field(page, 'Quotient familial').fill('abc');
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer le dossier' }).click());
  assert.match(await page.getByRole('alert').innerText(), /Quotient familial invalide/);
  await page.close();
});
