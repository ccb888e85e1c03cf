// Bad input in the real browser: hundreds of random query strings, and mutations of a real
// exported trace imported as JSON. The page never goes blank, nothing panics (a Rust panic
// reaches the console through console_error_panic_hook), and each bad part of an input gets a
// visible message that names it. The inputs are the same each run (a fixed seed;
// ROBUSTNESS_SEED picks others); a failure prints the input that caused it.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import { useApp, server, browser, openPage, byId } from "./harness.mjs";

useApp();

const SEED = Number(process.env.ROBUSTNESS_SEED ?? 3207);
const QUERIES = 200;
const MUTATIONS = 150;

/** mulberry32: a small deterministic generator. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD = ["é☃", "<script>alert(1)</script>", "\u0000", "%", "%zz", "%E0%A4%A", "'\"", "../..", "-1", "1e9", "0x10", " ", "\u202e"];

/** Whether the page shows something: the app root with a diagram, a list or an error panel. */
async function shown(page) {
  return page.evaluate(() => {
    const app = document.querySelector('[data-testid="app"]');
    return !!app && document.body.innerText.trim().length > 50 &&
      !!document.querySelector('[data-testid="diagram"], [data-testid="error-panel"], [data-testid="step-counter"]');
  });
}

/** Builds one random query: [query, needles], each needle a text some notice must show. */
function randomQuery(r, ids) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const word = () => Array.from({ length: 3 + Math.floor(r() * 6) }, () => pick("abcdefghijklmnopqrstuvwxyz")).join("");
  const parts = [];
  const needles = [];
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(r() * 12);
    switch (kind) {
      case 0: parts.push(`scenario=${pick(ids)}`); break;
      case 1: parts.push(`step=${Math.floor(r() * 60)}`); break;
      case 2: parts.push(pick(["detail=all", "embed=1", "present=0", "quiz=1", "lesson=0", "panels=knowledge,wire"])); break;
      case 3: { const name = `x${word()}`; parts.push(`${name}=${word()}`); needles.push(name); break; }
      case 4: { const w = word(); parts.push(`step=${encodeURIComponent(w + pick(WEIRD))}`); needles.push(w); break; }
      case 5: { const v = `no-${word()}`; parts.push(`scenario=${v}`); needles.push(v); break; }
      case 6: { const v = `may${word()}`; parts.push(`${pick(["embed", "present", "quiz", "lesson"])}=${v}`); needles.push(v); break; }
      case 7: { const v = `p${word()}`; parts.push(`panels=${v}`); needles.push(v); break; }
      case 8: { const k = `server.${word()}`; parts.push(`set=${encodeURIComponent(`${k}=1`)}`); needles.push(k); break; }
      case 9: parts.push(pick(["", "&", "=", "==", "%", "%zz", "a", "?", "&&&", "step", "scenario="])); break;
      case 10: parts.push(`${pick(["step", "compare", "set", "detail"])}=${encodeURIComponent(pick(WEIRD))}`); break;
      default: parts.push(`compare=${pick(ids)},${pick(ids)}`); break;
    }
  }
  return [`?${parts.join("&")}`, needles];
}

test(`${QUERIES} random query strings: the page never goes blank, and each bad parameter is named`, async () => {
  const page = await openPage(browser, `${server.url}?scenario=happy-path`);
  await byId(page, "step-counter").waitFor();
  const ids = await page.$$eval('[data-testid="scenario-select"] option', (os) => os.map((o) => o.value));
  const r = rng(SEED);
  let notices = 0;
  for (let i = 0; i < QUERIES; i++) {
    const [query, needles] = randomQuery(r, ids);
    await page.goto(`${server.url}${query}`);
    // Settled: a dialogue or an error, and nothing left waiting for the engine module.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="step-counter"], [data-testid="error-panel"]') &&
        !document.querySelector('[data-testid="engine-loading"]'),
      null,
      { timeout: 30_000 },
    );
    assert.ok(await shown(page), `blank page for ${query}`);
    const texts = (await byId(page, "url-notice").allTextContents()).join("\n");
    for (const needle of needles) {
      assert.ok(texts.includes(needle), `no notice names ${JSON.stringify(needle)} for ${query}: ${texts}`);
    }
    if (texts) notices++;
    assert.deepEqual(page.errors, [], `errors for ${query}`);
  }
  console.log(`# robustness: ${QUERIES} queries (seed ${SEED}), ${notices} with notices`);
  await page.context().close();
});

/** A mutation of `text` (a trace's JSON): [name, bytes]. */
function mutate(r, text, trace, i) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const clone = () => JSON.parse(text);
  const step = () => Math.floor(r() * trace.steps.length);
  const kind = i % 12;
  switch (kind) {
    case 0: return ["truncated", text.slice(0, Math.floor(r() * text.length))];
    case 1: { const t = clone(); delete t.steps[step()][pick(["kind", "actor", "text", "index", "tls"])]; return ["field-removed", JSON.stringify(t)]; }
    case 2: { const t = clone(); t.steps[step()][pick(["kind", "actor", "direction"])] = pick([42, null, "teleport", [], {}]); return ["field-wrong", JSON.stringify(t)]; }
    case 3: { const t = clone(); t.schema_version = pick([0, 999, "1", -1, null]); return ["schema", JSON.stringify(t)]; }
    case 4: { const t = clone(); t.steps[step()].bytes = pick(["zz", "abc", "0", 12, "ff".repeat(3) + "g"]); return ["bytes-hex", JSON.stringify(t)]; }
    case 5: { const t = clone(); t.steps[step()].index = pick([-1, 1e12, 3.5, "7"]); return ["index", JSON.stringify(t)]; }
    case 6: { const pos = Math.floor(r() * text.length); return ["byte-flipped", text.slice(0, pos) + pick(["\u0000", "{", "]", "\"", "\\", "é", "\ud800"]) + text.slice(pos + 1)]; }
    case 7: return ["nested", "[".repeat(20000) + "]".repeat(20000)];
    case 8: return ["empty", pick(["", " ", "null", "{}", "[]", "\ufeff", "true"])];
    case 9: { const t = clone(); t.steps = t.steps.concat(t.steps); return ["steps-doubled", JSON.stringify(t)]; }
    case 10: { const t = clone(); t.steps[step()].text = pick(["", "<img src=x onerror=alert(1)>", "x".repeat(100000), "\u202e"]); return ["text", JSON.stringify(t)]; }
    default: { const t = clone(); t.outcome = pick([null, 7, { rules_broken: ["NOT-A-RULE"] }]); return ["outcome", JSON.stringify(t)]; }
  }
}

async function drop(page, name, text) {
  await page.evaluate(([name, text]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: "application/json" }));
    const app = document.querySelector('[data-testid="app"]');
    app.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    app.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [name, text]);
}

test(`${MUTATIONS} mutations of an exported trace, imported: each is shown or refused by name, never a blank page`, async () => {
  const page = await openPage(browser, `${server.url}?scenario=command-injection-vulnerable`, { acceptDownloads: true });
  await byId(page, "step-counter").waitFor();
  const [dl] = await Promise.all([page.waitForEvent("download"), byId(page, "export-json").click()]);
  const text = await fs.readFile(await dl.path(), "utf8");
  const trace = JSON.parse(text);
  const r = rng(SEED + 1);
  const outcomes = { imported: 0, refused: 0 };
  for (let i = 0; i < MUTATIONS; i++) {
    const [kind, mutated] = mutate(r, text, trace, i);
    const name = `m${i}-${kind}.json`;
    await drop(page, name, mutated);
    const result = await page.waitForFunction(
      (name) => {
        const err = [...document.querySelectorAll('[data-testid="import-error"]')].find((e) => e.textContent.includes(name));
        if (err) return { refused: err.textContent };
        const banner = document.querySelector('[data-testid="imported-banner"]');
        if (banner?.textContent.includes(name)) return { imported: banner.textContent };
        return false;
      },
      name,
      { timeout: 30_000 },
    ).then((h) => h.jsonValue());
    if (result.refused) {
      outcomes.refused++;
      // The message names the file and says what is wrong, beyond the name alone.
      assert.ok(result.refused.replace(name, "").trim().length > 10, `${name}: ${result.refused}`);
    } else {
      outcomes.imported++;
    }
    assert.ok(await shown(page), `blank page after ${name}`);
    assert.deepEqual(page.errors, [], `errors after ${name}`);
  }
  console.log(`# robustness: ${MUTATIONS} mutated traces (seed ${SEED + 1}): ${outcomes.imported} imported, ${outcomes.refused} refused by name`);
  assert.ok(outcomes.refused > MUTATIONS / 2, "most mutations are refused");
  await page.context().close();
});

test("the engine module cannot be fetched: the first view still shows, what needs the engine says why, and a retry recovers", async () => {
  const context = await browser.newContext();
  let blocked = true;
  const engineFile = /\/starttls-engine-[0-9a-f]+(_bg\.wasm|\.js)(\?.*)?$/;
  await context.route(engineFile, (route) => (blocked ? route.abort() : route.continue()));
  const page = await context.newPage();
  const uncaught = [];
  page.on("pageerror", (e) => uncaught.push(String(e)));
  await page.goto(`${server.url}?scenario=command-injection-compliant`);
  // The first view comes from its precomputed trace.
  await page.waitForFunction(() => /^1 \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? ""));
  await byId(page, "engine-failed").waitFor();
  assert.match(await byId(page, "engine-failed").textContent(), /engine module could not be loaded/);
  await page.waitForFunction(() => document.querySelector('[data-testid="handshake-fact"]')?.dataset.state === "error");
  // A policy change cannot run: the error panel says why, and the page is not blank.
  await page.locator('[data-testid="policy-server.teaching.process_plaintext_after_starttls"]').check();
  await byId(page, "error-panel").waitFor();
  assert.match(await byId(page, "error-panel").textContent(), /could not be loaded/);
  // The retry loads the engine, and the dialogue with the policy change appears.
  blocked = false;
  await byId(page, "engine-retry").click();
  await byId(page, "engine-failed").waitFor({ state: "detached" });
  await page.waitForFunction(() => /^\d+ \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? "") &&
    !document.querySelector('[data-testid="error-panel"]'));
  assert.ok(await page.locator('[data-testid="policy-server.teaching.process_plaintext_after_starttls"]').isChecked());
  assert.equal(await byId(page, "error-panel").count(), 0);
  // The footer's handshake runs too.
  await page.waitForFunction(() => document.querySelector('[data-testid="handshake-fact"]')?.dataset.state === "done");
  assert.deepEqual(uncaught, []);
  await context.close();
});
