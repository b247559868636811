// The planning in headless Chromium, for the Martin family of the example
// import file (tests/run.sh imports it with `portal import dossiers`): Inès
// and Noé are registered to the school canteen and an agent validates both,
// which books the days asked; the family finds next month reserved for
// Inès with its cost, cancels a day and sees the cost change, then copies
// Inès's month to Noé. axe-core must find nothing on every page, the grid
// included (a table with row and column headers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, field, visit, signUpWithDemoDossier, agentFromInvitation } from './browser.mjs';

const link = process.env.EF_TEST_PLANNER_LINK;
if (!link) throw new Error("EF_TEST_PLANNER_LINK manque : lancez tests/run.sh, qui crée l'agent.");

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const email = `planning.${Date.now()}@example.org`;
const password = 'Grenadine-tulipe-42-velo';
const pdf = Buffer.from('%PDF-1.4\n% piece justificative\n%%EOF\n');

async function register(page, child, pieceLabel) {
  await visit(page, () => page.goto(baseUrl + '/inscriptions/nouvelle'));
  await page.getByLabel(child).check();
  await visit(page, () => page.getByRole('button', { name: 'Continuer' }).click());
  await page.getByLabel(/^Restauration scolaire/).check();
  await visit(page, () => page.getByRole('button', { name: 'Continuer' }).click());
  for (const day of ['Lundi', 'Mardi', 'Jeudi', 'Vendredi']) await page.getByLabel(day).check();
  await field(page, pieceLabel).setInputFiles({ name: 'piece.pdf', mimeType: 'application/pdf', buffer: pdf });
  await visit(page, () => page.getByRole('button', { name: 'Enregistrer ma demande' }).click());
  assert.match(await page.locator('main').innerText(), /La mairie doit la valider/);
}

async function cost(page) {
  return (await page.locator('#cout').innerText()).trim();
}

test('réserver un mois, changer un jour, voir le coût, copier vers le frère', async () => {
  const family = await (await browser.newContext()).newPage();
  await signUpWithDemoDossier(family, {
    email, username: `pla${Date.now()}`, password, dossier: ['D2025-0007', 'martin', '412'],
  });
  await register(family, 'Inès Martin (CM1)', 'Attestation de quotient familial (CAF ou MSA)');
  await register(family, 'Noé Martin (MS)', "Projet d'accueil individualisé (PAI) signé");

  const agent = await (await browser.newContext()).newPage();
  await agentFromInvitation(agent, link, 'planning@ville.example.org', 'Fougere-horloge-93-piano');
  for (const child of ['Inès Martin', 'Noé Martin']) {
    await visit(agent, () => agent.goto(baseUrl + '/agents/inscriptions'));
    await visit(agent, () => agent.getByRole('link', { name: child }).last().click());
    await visit(agent, () => agent.getByRole('button', { name: "Valider l'inscription" }).click());
  }

  // The validation booked the days asked: next month is reserved.
  await visit(family, () => family.goto(baseUrl + '/inscriptions'));
  assert.match(await family.locator('main').innerText(), /jour\(s\) réservé\(s\) du/);
  await visit(family, () => family.goto(baseUrl + '/planning'));
  await visit(family, () => family.getByRole('link', { name: 'Période suivante →' }).click());
  assert.equal(await family.getByRole('columnheader').count() > 10, true);
  assert.ok(await family.getByRole('rowheader', { name: 'Inès — Repas' }).isVisible());
  const full = await cost(family);
  assert.notEqual(full, '0,00 €');
  await visit(family, () => family.getByRole('link', { name: 'Modifier' }).click());
  const leaBoxes = family.getByRole('checkbox', { name: /^Inès, Repas/ });
  const count = await leaBoxes.count();
  assert.ok(count >= 8, `${count} cases pour Inès`);
  for (let i = 0; i < count; i += 1) assert.ok(await leaBoxes.nth(i).isChecked(), `jour ${i} réservé`);
  await visit(family, () => family.getByRole('link', { name: 'Annuler les changements' }).click());

  // One day less: the cost goes down by one meal.
  await visit(family, () => family.getByRole('link', { name: 'Modifier' }).click());
  await family.getByRole('checkbox', { name: /^Inès, Repas/ }).first().uncheck();
  await visit(family, () => family.getByRole('button', { name: 'Enregistrer' }).click());
  const less = await cost(family);
  const euros = (s) => Number(s.replace(' €', '').replace(',', '.'));
  assert.ok(euros(less) < euros(full), `${less} < ${full}`);

  // Copy Inès's month to Noé.
  const month = new URL(family.url()).searchParams.get('date');
  const first = new Date(month);
  const last = new Date(first.getFullYear(), first.getMonth() + 1, 0);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await visit(family, () => family.getByRole('link', { name: /Modifications avancées/ }).click());
  await family.getByLabel('Copier le planning de').selectOption({ label: 'Inès' });
  await family.getByLabel('Vers').selectOption({ label: 'Noé' });
  await field(family, 'Du').last().fill(iso(new Date(first.getFullYear(), first.getMonth(), 1)));
  await field(family, 'Au').last().fill(iso(last));
  await family.getByLabel('Remplacer ses jours par les jours copiés').check();
  await visit(family, () => family.getByRole('button', { name: "Voir l'aperçu de la copie" }).click());
  // The preview: Noé had the same days booked; the copy would cancel the
  // one Inès lost — nothing saved yet.
  const preview = await family.locator('main').innerText();
  assert.match(preview, /Rien n'est encore enregistré/);
  assert.match(preview, /Noé, Repas : à annuler/);
  await visit(family, () => family.getByRole('button', { name: 'Confirmer ces changements' }).click());
  assert.match(await family.locator('main').innerText(), /1 jour\(s\) annulé\(s\)/);
  await visit(family, () => family.goto(baseUrl + `/planning?vue=mois&date=${month}`));
  const noeReserved = await family.getByText(/^Noé, Repas, .* : réservé$/).count();
  assert.equal(noeReserved, count - 1, `${noeReserved} jours réservés pour Noé`);
});

// A parent on a phone (375 × 812, touch): signs in, opens the planning from
// the menu, changes days of both children by tapping the boxes — each tap
// lands on its box (Playwright's tap fails if something else is hit) —,
// saves and sees the cost change; nothing is wider than the screen.
test('sur un téléphone : le menu, le planning, des jours changés du bout du doigt, le coût', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  const phone = await context.newPage();
  // A tap that loads a page, then axe-core on it.
  const go = (target) => visit(phone, () => Promise.all([phone.waitForNavigation(), target.tap()]));
  const wide = async () => assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, phone.url());
  await visit(phone, () => phone.goto(baseUrl + '/compte/connexion'));
  await field(phone, "Nom d'utilisateur ou adresse e-mail").fill(email);
  await field(phone, 'Mot de passe').fill(password);
  await go(phone.getByRole('button', { name: 'Se connecter' }));
  assert.equal(new URL(phone.url()).pathname, '/compte');
  await phone.locator('details.menu > summary').tap();
  await go(phone.locator('nav.nav-narrow').getByRole('link', { name: 'Planning' }));
  assert.equal(new URL(phone.url()).pathname, '/planning');
  await wide();
  await go(phone.getByRole('link', { name: 'Période suivante →' }));
  const before = await cost(phone);
  // The first child's calendar starts within the first screen.
  const firstRow = await phone.locator('table.planning th[scope="row"]').first().boundingBox();
  assert.ok(firstRow.y < 812, `la première ligne du planning commence à ${firstRow.y} px`);
  await go(phone.getByRole('link', { name: 'Modifier' }));
  await wide();
  for (const child of ['Inès', 'Noé']) {
    const boxes = phone.getByRole('checkbox', { name: new RegExp(`^${child}, Repas`) });
    assert.ok(await boxes.count() >= 8, child);
    for (const i of [1, 2]) {
      const box = boxes.nth(i);
      const size = await box.boundingBox();
      assert.ok(size.width >= 24 && size.height >= 24, `${child} : case de ${size.width} × ${size.height}`);
      const was = await box.isChecked();
      await box.tap();
      assert.equal(await box.isChecked(), !was, `${child} : la case ${i} a changé`);
    }
  }
  await go(phone.getByRole('button', { name: 'Enregistrer' }));
  assert.match(await phone.getByRole('status').innerText(), /Planning enregistré/);
  assert.notEqual(await cost(phone), before);
  await wide();
  await context.close();
});
