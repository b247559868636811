// Shared by the browser tests: Debian's Chromium driven by playwright-core
// (no browser download), the portal's address, and an axe-core check.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const baseUrl = (() => {
  const url = process.env.EF_TEST_PORTAL_URL;
  if (!url) {
    throw new Error('EF_TEST_PORTAL_URL manque : lancez tests/run.sh, qui démarre le portail local.');
  }
  return url.replace(/\/$/, '');
})();

export async function launch() {
  return chromium.launch({
    executablePath: process.env.EF_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// Runs axe-core (every rule of its default set) and fails with the list of
// violations, if any.
export async function assertNoAxeViolations(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const lines = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(lines, [], `axe-core sur ${page.url()}`);
}

// The last link to `path` in the messages the local portal wrote for `to`
// (its outbox folder is EF_TEST_OUTBOX), quoted-printable decoded.
export function lastMailedLink(to, path) {
  const dir = process.env.EF_TEST_OUTBOX;
  if (!dir) throw new Error('EF_TEST_OUTBOX manque : lancez tests/run.sh.');
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  for (const f of files.reverse()) {
    const raw = readFileSync(join(dir, f), 'utf8');
    if (!raw.includes(`To: ${to}`)) continue;
    const text = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const match = text.match(new RegExp(`https?://[^\\s"<>]*${path.replace(/[/?]/g, '\\$&')}\\?jeton=[A-Za-z0-9_-]+`));
    if (match) return new URL(match[0]).pathname + new URL(match[0]).search;
  }
  throw new Error(`aucun lien ${path} envoyé à ${to}`);
}

// A field by its label's text (the required fields' label ends with an
// asterisk hidden from screen readers).
export function field(page, label) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByLabel(new RegExp(`^${escaped}( \\*)?$`));
}

// Runs an action that loads a page, then checks that page with axe-core.
export async function visit(page, action) {
  await action();
  await page.waitForLoadState('load');
  await assertNoAxeViolations(page);
}
