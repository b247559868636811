// The tariff calculator against the Rust pricing used for billing: every
// case of `simulation-cases` (bracket edges, effort-rate minimum and
// maximum, half cents, 0 to 5 children, AEEH, decimals, refusals) is typed
// into the page, and the script's QF and prices must equal Rust's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, baseUrl, assertNoAxeViolations } from './browser.mjs';

const casesFile = process.env.EF_SIMULATION_CASES;
if (!casesFile) throw new Error('EF_SIMULATION_CASES manque : lancez tests/run.sh.');
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));

let browser;
let page;
before(async () => {
  browser = await launch();
  page = await browser.newPage();
  await page.goto(baseUrl + '/simulation/');
});
after(async () => { await browser?.close(); });

const label = {
  qf: 'Quotient familial (CAF), en euros',
  revenu: 'Revenu annuel imposable du foyer, en euros',
  prestations: 'Prestations familiales mensuelles, en euros',
  enfants: "Nombre d'enfants à charge",
  aeeh: "Dont enfants bénéficiant de l'AEEH",
};

function euros(value) {
  return value.replace('.', ',') + ' €';
}

async function simulate(entree) {
  for (const field of Object.keys(label)) {
    const value = field in entree ? String(entree[field]) : (field === 'prestations' ? '0' : field === 'enfants' ? '1' : field === 'aeeh' ? '0' : '');
    await page.getByLabel(label[field]).fill(value);
  }
  await page.getByRole('button', { name: 'Calculer' }).click();
}

test('la page montre les grilles sans JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto(baseUrl + '/simulation/');
  assert.equal(await plain.locator('#simulateur').isVisible(), false);
  const text = await plain.locator('main').innerText();
  assert.match(text, /Restauration scolaire/);
  assert.match(text, /de 600 à 999 €/);
  assert.match(text, /du quotient familial, au minimum/);
  await context.close();
});

test(`les ${cases.length} cas donnent les mêmes résultats que la facturation (Rust)`, async () => {
  for (const c of cases) {
    await simulate(c.entree);
    const what = JSON.stringify(c.entree);
    if (c.erreur) {
      assert.match(await page.getByRole('alert').innerText(), new RegExp(c.erreur.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), what);
      continue;
    }
    assert.equal(await page.locator('#qf-resultat').getAttribute('data-qf'), c.qf, what);
    for (const [unit, prices] of Object.entries(c.prix)) {
      for (const payer of ['resident', 'troisieme', 'hors']) {
        const shown = await page.locator(`[data-unite="${unit}"][data-payeur="${payer}"]`).innerText();
        const expected = prices[payer] === null ? '—' : euros(prices[payer]);
        assert.equal(shown, expected, `${what} ${unit} ${payer}`);
      }
    }
  }
});

test('une saisie absurde donne un message clair, jamais NaN', async () => {
  for (const entree of [
    { revenu: 'abc' },
    { revenu: '' },
    { revenu: '12000', enfants: '' },
    { revenu: '12000', prestations: '1e5' },
    { qf: '-3' },
  ]) {
    await simulate(entree);
    const alert = await page.getByRole('alert').innerText();
    assert.ok(alert.length > 10, JSON.stringify(entree));
    assert.doesNotMatch(await page.locator('main').innerText(), /NaN|undefined|Infinity/);
  }
  await simulate({ revenu: '12000', enfants: '0', aeeh: '1' });
  assert.match(await page.getByRole('alert').innerText(), /AEEH/);
  assert.ok(await page.getByLabel(label.aeeh).getAttribute('aria-invalid'));
});

test('le simulateur est accessible, résultats affichés', async () => {
  await simulate({ revenu: '36000', prestations: '150', enfants: '2' });
  await assertNoAxeViolations(page);
  // The parts and the computation with the family's figures, the rounding.
  assert.equal(
    await page.locator('#qf-calcul').innerText(),
    "Nombre de parts : 3. Calcul : (36 000,00 € ÷ 12 + 150,00 €) ÷ 3 = 1 050,00 € par mois, arrondi à l'euro inférieur : 1050 €, comme pour les tranches de la commune.",
  );
  // On a phone the prices stack under their headings: nothing off-screen.
  await page.setViewportSize({ width: 320, height: 800 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);
  const hors = page.locator('td[data-label="Hors commune"]').first();
  const box = await hors.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 320, `colonne « Hors commune » à ${box.x} px`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await simulate({ revenu: 'abc' });
  await assertNoAxeViolations(page);
});

test('le simulateur se remplit et se valide au clavier', async () => {
  await page.goto(baseUrl + '/simulation/');
  await page.getByLabel(label.qf).focus();
  await page.keyboard.type('1000');
  // Tab through every field to the button, then Enter.
  for (let i = 0; i < 12 && (await page.evaluate(() => document.activeElement.textContent)) !== 'Calculer'; i++) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Calculer');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#qf-resultat').getAttribute('data-qf'), '1000');
});
