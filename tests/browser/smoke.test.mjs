// Smoke test of the running local portal in headless Chromium: each page
// loads, has a French title and one h1, axe-core finds nothing, the skip link
// is the first stop of the keyboard, and nothing overflows at 320 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, assertNoAxeViolations } from './browser.mjs';

const pages = [
  { path: '/', status: 200 },
  { path: '/compte/connexion', status: 200 },
  { path: '/aide/', status: 200 },
  { path: '/accessibilite/', status: 200 },
  { path: '/mentions-legales/', status: 200 },
  { path: '/plan-du-site/', status: 200 },
  { path: '/simulation/', status: 200 },
  { path: '/actualites/', status: 200 },
  { path: '/actualites/2026-11-16-inscriptions-vacances-noel/', status: 200 },
  { path: '/documents/', status: 200 },
  { path: '/ecole-de-secteur/', status: 200 },
  { path: '/donnees-personnelles/', status: 200 },
  { path: '/conditions-generales/', status: 200 },
  { path: '/reglement-interieur/', status: 200 },
  { path: '/compte/inscription', status: 200 },
  { path: '/compte/mot-de-passe-oublie', status: 200 },
  { path: '/agents/connexion', status: 200 },
  { path: '/paiement/retour?idop=inconnu', status: 200 },
  { path: '/page-qui-n-existe-pas', status: 404 },
];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const { path, status } of pages) {
  test(`${path} se charge et axe-core ne trouve rien`, async () => {
    const page = await browser.newPage();
    const response = await page.goto(baseUrl + path);
    assert.equal(response.status(), status);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.match(await page.title(), / — Espace Famille — /);
    assert.equal(await page.locator('h1').count(), 1);
    await assertNoAxeViolations(page);
    await page.close();
  });
}

test('le lien d\'évitement est le premier arrêt du clavier et mène au contenu', async () => {
  const page = await browser.newPage();
  await page.goto(baseUrl + '/compte/connexion');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Aller au contenu');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'contenu');
  await page.keyboard.press('Tab');
  // The next stop is inside the main content, not back in the header.
  assert.ok(await page.evaluate(() => document.getElementById('contenu').contains(document.activeElement)));
  await page.close();
});

for (const width of [320, 375]) {
  test(`rien ne déborde à ${width} px de large`, async () => {
    const page = await browser.newPage({ viewport: { width, height: 700 } });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    for (const path of ['/', '/compte/connexion', '/compte/inscription', '/simulation/', '/actualites/', '/ecole-de-secteur/']) {
      await page.goto(baseUrl + path);
      assert.ok(await overflow() <= 0, `${path} déborde de ${await overflow()} px`);
    }
    // With the calculator's results shown too.
    await page.goto(baseUrl + '/simulation/');
    await page.getByLabel('Revenu annuel imposable du foyer, en euros').fill('36000');
    await page.getByRole('button', { name: 'Calculer' }).click();
    await page.locator('#qf-resultat').waitFor();
    assert.ok(await overflow() <= 0, `/simulation/ avec résultats déborde de ${await overflow()} px`);
    await page.close();
  });
}

test("l'école de secteur se trouve sans accents ni majuscules", async () => {
  const page = await browser.newPage();
  await page.goto(baseUrl + '/ecole-de-secteur/');
  await page.getByLabel('Nom de la rue').fill('AVENUE DE LA GARE');
  await page.getByLabel('Numéro (facultatif)').fill('80');
  const schools = () => page.locator('#ecoles-trouvees li').evaluateAll((lis) => lis.map((li) => li.dataset.ecole).sort());
  assert.deepEqual(await schools(), ['École élémentaire Les Allymes', 'École maternelle Les Tilleuls'].sort());
  await page.getByLabel('Nom de la rue').fill('chemin des ecoliers');
  await page.getByLabel('Numéro (facultatif)').fill('7');
  assert.deepEqual(await schools(), ['École élémentaire Jean-Jaurès', 'École maternelle Les Tilleuls'].sort());
  await page.getByLabel('Numéro (facultatif)').fill('douze');
  assert.match(await page.locator('#resultat-secteur').innerText(), /doit être un nombre/);
  await assertNoAxeViolations(page);
  await page.close();
});

test("les actualités : liste, article, flux Atom, et l'accueil montre les trois dernières", async () => {
  const page = await browser.newPage();
  // The home page shows the three latest of the list, in its order. The
  // web team's browser test may publish one meanwhile (the files run in
  // parallel): then both pages are read again.
  let titles, listed;
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.goto(baseUrl + '/');
    titles = await page.locator('main .cards h3 a').allInnerTexts();
    await page.goto(baseUrl + '/actualites/');
    listed = await page.locator('main h2 a').allInnerTexts();
    if (JSON.stringify(titles) === JSON.stringify(listed.slice(0, 3))) break;
  }
  assert.equal(titles.length, 3);
  assert.deepEqual(titles, listed.slice(0, 3));
  assert.ok(listed.some((t) => /grève/.test(t)), 'the folder’s actualités are listed');
  await page.getByRole('link', { name: /Vacances de Noël/ }).click();
  assert.match(await page.locator('h1').innerText(), /Vacances de Noël/);
  const feed = await page.request.get(baseUrl + '/actualites/atom.xml');
  assert.equal(feed.status(), 200);
  assert.match(await feed.text(), /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"/);
  await page.goto(baseUrl + '/documents/');
  assert.match(await page.locator('main').innerText(), /\(PDF, \d+ Ko\)/);
  await page.close();
});
