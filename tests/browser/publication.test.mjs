// The web team in headless Chromium (issue #17): an agent of the
// communication service writes an actualité with an image, watches the
// preview follow the typing, previews with the image, publishes; a visitor
// then sees it on the home page, on its own page and in the Atom feed.
// axe-core finds nothing on each page, at 320 and 375 px too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, field, visit, agentFromInvitation } from './browser.mjs';

const link = process.env.EF_TEST_WEB_LINK;
if (!link) throw new Error("EF_TEST_WEB_LINK manque : lancez tests/run.sh, qui crée l'agent de l'équipe web.");

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("l'équipe web écrit une actualité avec une image, la prévisualise et la publie ; un visiteur la voit", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await agentFromInvitation(page, link, 'web@ville.example.org', 'Glycine-tambour-48-velo');
  await visit(page, () => page.getByRole('link', { name: 'Actualités' }).first().click());
  assert.equal(new URL(page.url()).pathname, '/agents/site/actualites');
  // The folder's actualités were taken into the store on the first run.
  assert.match(await page.locator('main').innerText(), /Mouvement de grève/);
  await visit(page, () => page.getByRole('link', { name: 'Nouvelle actualité' }).click());

  const title = `Fête des lumières ${Date.now()}`;
  await field(page, 'Titre').fill(title);
  await field(page, 'Résumé').fill('Les enfants des accueils de loisirs exposent leurs lanternes.');
  await field(page, 'Texte').fill("## Au programme\n\nLanternes, **chorale** et <script>alert('x')</script> goûter.");
  // The preview follows the typing (rendered by the site's own code).
  const preview = page.locator('#apercu-contenu');
  await preview.getByRole('heading', { name: title }).waitFor({ timeout: 5000 });
  await preview.getByRole('heading', { name: 'Au programme' }).waitFor();
  assert.match(await preview.innerText(), /<script>alert\('x'\)<\/script>/, 'raw HTML shown as text');

  // An image (a screenshot of the page, a real PNG), then "Aperçu": the
  // form comes back with the image kept and the whole preview.
  const picture = await page.screenshot({ type: 'png' });
  await page.setInputFiles('#image', { name: 'lanternes.png', mimeType: 'image/png', buffer: picture });
  await field(page, "Texte alternatif de l'image").fill('Lanternes de papier dans la cour');
  await visit(page, () => page.getByRole('button', { name: 'Aperçu' }).click());
  const image = preview.getByRole('img', { name: 'Lanternes de papier dans la cour' });
  await image.waitFor();
  assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 0), "the preview's image loads");
  assert.equal(await field(page, 'Titre').inputValue(), title, 'the form kept');

  await page.getByLabel('Publier maintenant').check();
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer' }).click());
  assert.match(await page.getByRole('status').innerText(), /publiée/);

  // A visitor: the home page, the item's page, the feed.
  const visitor = await browser.newPage();
  await visit(visitor, () => visitor.goto(baseUrl + '/'));
  assert.equal(
    await visitor.locator('link[rel="alternate"][type="application/atom+xml"]').getAttribute('href'),
    '/actualites/atom.xml',
  );
  await visit(visitor, () => visitor.getByRole('link', { name: title }).click());
  assert.match(new URL(visitor.url()).pathname, /^\/actualites\/\d{4}-\d{2}-\d{2}-fete-des-lumieres-\d+\/$/);
  const shown = visitor.getByRole('img', { name: 'Lanternes de papier dans la cour' });
  assert.ok(await shown.evaluate((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 960));
  assert.match(await shown.getAttribute('srcset'), /480w/);
  const feed = await visitor.request.get(baseUrl + '/actualites/atom.xml');
  assert.equal(feed.status(), 200);
  assert.ok((await feed.text()).includes(title), 'the feed follows');

  // The audit trail names who published it.
  await visit(page, () => page.goto(baseUrl + '/agents/site/journal'));
  assert.match(await page.locator('main').innerText(), new RegExp(`actualité publiée : « ${title} »`));
  await visitor.close();
  await page.close();
});
