// Accessibility, checked by axe-core (installed from the lockfile) in real Chromium: the main
// view, compare mode, presenter mode, embed mode and the phone layout (light and dark) have no
// serious or critical violation, colour contrast included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { useApp, server, browser, openPage } from "./harness.mjs";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");

useApp();

async function audit(query, ready, options = {}) {
  // axe is injected as a script tag, which the page's strict policy refuses: the audit runs
  // with the policy bypassed (deploy.test.mjs checks the policy itself).
  const page = await openPage(browser, `${server.url}${query}`, { ...options, bypassCSP: true });
  await page.waitForFunction(ready, null, { timeout: 30_000 });
  // Every id is unique (compare mode shows two diagrams and two explanations).
  const duplicates = await page.evaluate(() => {
    const seen = new Map();
    for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
    return [...seen.entries()].filter(([, n]) => n > 1).map(([id]) => id);
  });
  assert.deepEqual(duplicates, [], `${query}: duplicate ids`);
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      target: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  await page.context().close();
  return results;
}

const counterReady = () => /^\d+ \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? "");
const compareReady = () => document.querySelectorAll('[data-testid="compare-pane"]').length === 2;

const phone = { viewport: { width: 360, height: 740 } };

for (const [name, query, ready, options] of [
  ["main view", "?scenario=command-injection-vulnerable&step=20", counterReady],
  ["compare view", "?compare=command-injection-compliant,command-injection-vulnerable", compareReady],
  ["presenter mode", "?scenario=tls-required-530&present=1", counterReady],
  ["embed mode", "?scenario=happy-path&embed=1", counterReady],
  ["phone list layout (light)", "?scenario=command-injection-vulnerable", counterReady, phone],
  ["phone list layout (dark)", "?scenario=command-injection-vulnerable", counterReady, { ...phone, colorScheme: "dark" }],
]) {
  test(`axe-core: no serious or critical violation in the ${name}`, async () => {
    const violations = await audit(query, ready, options);
    for (const v of violations) console.log(`# axe ${name}: ${v.impact} ${v.id} (${v.nodes}) ${v.target.join(" | ")}`);
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad, [], `${name}: ${JSON.stringify(bad)}`);
  });
}
