// The classroom and documentation features, in real Chromium against the trunk-built dist/:
// permalinks (round trip for every scenario, invalid parameters), embed mode and the example
// host page, every export and the JSON re-import, the quiz, the guided lesson, presenter mode,
// and each scenario's simulation time measured in the page. No fixed sleeps: every wait is on
// page state.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import { useApp, server, browser, openPage, screenshot, byId, counter, waitStep } from "./harness.mjs";


useApp();




/** Opens the app with a query string, once it has rendered a step counter. */
async function open(query, options) {
  // These tests step through every decision; the message level has tests of its own.
  const detailed = query.startsWith("?") && !query.includes("detail=") ? `${query}&detail=all` : query;
  const page = await openPage(browser, `${server.url}${detailed}`, options);
  await page.waitForFunction(
    () => /^\d+ \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? "") &&
      !document.querySelector('[data-testid="engine-loading"]'),
    null,
    { timeout: 30_000 },
  );
  return page;
}

async function scenarioIds(page) {
  return page.$$eval('[data-testid="scenario-select"] option', (os) => os.map((o) => o.value));
}

test("permalinks: a link copied at step N of every scenario opens at step N in a new browser context", async () => {
  const page = await open("?scenario=happy-path");
  const ids = await scenarioIds(page);
  assert.ok(ids.length >= 20);
  for (const id of ids) {
    await byId(page, "scenario-select").selectOption(id);
    await page.waitForFunction(
      (id) => new URL(location.href).searchParams.get("scenario") === id &&
        /^1 \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]').textContent),
      id,
    );
    const [, total] = await counter(page);
    const n = Math.max(1, Math.ceil(total * 0.6));
    await page.locator(`[data-testid="diagram-step"][data-index="${n - 1}"]`).click();
    await waitStep(page, n);
    await byId(page, "copy-link").click();
    const link = await byId(page, "permalink-url").inputValue();
    assert.match(link, new RegExp(`scenario=${id}&step=${n}$`), link);
    // The address bar follows the view too.
    await page.waitForFunction((n) => new URL(location.href).searchParams.get("step") === String(n), n);

    const other = await open(new URL(link).search);
    assert.equal(await byId(other, "scenario-select").inputValue(), id);
    assert.deepEqual(await counter(other), [n, total], id);
    const current = other.locator('[data-testid="diagram-step"][data-current="true"]');
    assert.equal(await current.getAttribute("data-index"), String(n - 1));
    assert.equal(await byId(other, "notices").count(), 0, `${id}: no notice for a valid link`);
    assert.deepEqual(other.errors, []);
    await other.context().close();
  }

  // Policy overrides travel in the link too.
  await byId(page, "scenario-select").selectOption("command-injection-compliant");
  await waitStep(page, 1);
  await page.locator('[data-testid="diagram-step"][data-index="9"]').click();
  await waitStep(page, 10);
  await page.locator('[data-testid="policy-server.teaching.process_plaintext_after_starttls"]').check();
  await page.locator('[data-testid="policy-overrides"] code').first().waitFor();
  await byId(page, "copy-link").click();
  const link = await byId(page, "permalink-url").inputValue();
  assert.match(link, /set=server\.teaching\.process_plaintext_after_starttls=true/);
  const [, total] = await counter(page);
  const other = await open(new URL(link).search);
  assert.deepEqual(await counter(other), [10, total]);
  assert.ok(await other.locator('[data-testid="policy-server.teaching.process_plaintext_after_starttls"]').isChecked());
  assert.match(await byId(other, "policy-overrides").textContent(), /process_plaintext_after_starttls=true/);
  assert.deepEqual(other.errors, []);
  await other.context().close();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("permalinks: invalid parameters are named in a notice, and the nearest valid state is shown", async () => {
  const page = await open("?scenario=no-such-scenario&step=abc&set=server.bogus=1&embed=maybe&panels=foo&colour=red");
  const notices = await byId(page, "url-notice").allTextContents();
  const all = notices.join("\n");
  for (const name of ["no-such-scenario", "abc", "server.bogus", "maybe", "foo", "colour"]) {
    assert.ok(all.includes(name), `a notice names ${name}: ${all}`);
  }
  assert.equal(await byId(page, "scenario-select").inputValue(), "happy-path");
  assert.equal((await counter(page))[0], 1);
  await byId(page, "diagram").waitFor();
  await screenshot(page, "permalink-invalid");
  await byId(page, "notices-dismiss").click();
  await byId(page, "notices").waitFor({ state: "detached" });
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // A step past the end: the last step, and a notice naming the value.
  const past = await open("?scenario=tls-required-530&step=999");
  const [n, total] = await counter(past);
  assert.equal(n, total);
  assert.match(await byId(past, "url-notice").first().textContent(), /step=999/);
  await past.context().close();

  // Overrides the engine refuses together: dropped, named, and the dialogue still shows.
  const refused = await open("?scenario=happy-path&step=3&set=server.require_tls=true");
  assert.match(await byId(refused, "url-notice").first().textContent(), /require_tls|refused|configuration/i);
  assert.equal(await byId(refused, "error-panel").count(), 0);
  assert.deepEqual(await counter(refused).then((c) => c[0]), 3);
  await byId(refused, "diagram").waitFor();
  await refused.context().close();

  // Junk never blanks the page.
  const junk = await open("?%zz=%&&&=&step=-1&scenario=%00&set=&quiz=2");
  await byId(junk, "diagram").waitFor();
  assert.ok((await byId(junk, "url-notice").count()) >= 3);
  assert.deepEqual(junk.errors, []);
  await junk.context().close();
});

test("embed: the example host page sizes the iframe from the height message, and steps inside it", async () => {
  const page = await openPage(browser, `${server.url}embed-example.html`);
  const frameEl = page.locator("iframe#playground");
  await frameEl.waitFor();
  const frame = page.frameLocator("iframe#playground");
  // step=6 is the sixth step of the dialogue; at message level it opens on the message it
  // belongs to.
  await frame.locator('[data-testid="step-counter"]').filter({ hasText: /^\d+ \/ \d+$/ }).waitFor({ timeout: 30_000 });
  const at = Number((await frame.locator('[data-testid="step-counter"]').textContent()).split(" / ")[0]);
  assert.ok(at >= 1 && at <= 6, `opens at ${at}`);
  await page.waitForFunction(() => Number(document.getElementById("height-count").dataset.count) > 0);
  // The frame takes the height the playground asks for.
  await page.waitForFunction(() => {
    const h = Number(document.getElementById("height-last").dataset.height);
    return h > 0 && Math.abs(document.querySelector("iframe#playground").clientHeight - h) < 2;
  });
  const height = Number(await page.locator("#height-last").getAttribute("data-height"));
  assert.ok(height > 200, `height ${height}`);
  const content = await frame.locator('[data-testid="app"]').evaluate((el) => el.getBoundingClientRect().height);
  assert.ok(Math.abs(content - height) < 2, `content ${content} px, message ${height} px`);
  // Only the diagram, the controls and the explanation.
  assert.equal(await frame.locator('[data-testid="app"]').getAttribute("data-mode"), "embed");
  assert.equal(await frame.locator('[data-testid="diagram"]').count(), 1);
  assert.equal(await frame.locator('[data-testid="explanation"]').count(), 1);
  for (const hidden of ["policy-panel", "knowledge-client", "wire-bytes", "scenario-select", "exports"]) {
    assert.equal(await frame.locator(`[data-testid="${hidden}"]`).count(), 0, hidden);
  }
  // Step navigation inside the frame; the host hears about it.
  await frame.locator('[data-testid="step-next"]').click();
  await frame.locator('[data-testid="step-counter"]').filter({ hasText: new RegExp(`^${at + 1} / \\d+$`) }).waitFor();
  await page.waitForFunction((n) => document.getElementById("height-step").dataset.step === String(n), at + 1);
  await screenshot(page, "embed-host");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("embed: the dialog writes an iframe snippet with the chosen panels, and the frame honours them", async () => {
  const page = await open("?scenario=tls-required-530&step=4");
  await byId(page, "embed-button").click();
  await byId(page, "embed-dialog").waitFor();
  await byId(page, "embed-opt-knowledge").check();
  const snippet = await byId(page, "embed-snippet").inputValue();
  assert.match(snippet, /<iframe src="[^"]*\?scenario=tls-required-530&step=4&embed=1&panels=knowledge"/);
  assert.match(snippet, /starttls-playground:height/);
  const src = snippet.match(/src="([^"]+)"/)[1];
  await page.context().close();

  const embedded = await open(new URL(src).search);
  assert.deepEqual((await counter(embedded))[0], 4);
  await byId(embedded, "knowledge-client").waitFor();
  assert.equal(await byId(embedded, "wire-bytes").count(), 0);
  assert.equal(await byId(embedded, "policy-panel").count(), 0);
  assert.deepEqual(embedded.errors, []);
  await embedded.context().close();
});

/** Clicks an export button and returns the download's name and bytes. */
async function download(page, id) {
  const [dl] = await Promise.all([page.waitForEvent("download"), byId(page, id).click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: await fs.readFile(file), file };
}

test("exports: transcript, trace, diagram, capture and key log download; the JSON imports back", async () => {
  const page = await open("?scenario=happy-path", { acceptDownloads: true });
  const [, total] = await counter(page);

  const txt = await download(page, "export-txt");
  assert.equal(txt.name, "happy-path.txt");
  const transcript = txt.bytes.toString("utf8");
  assert.match(transcript, /^-> EHLO client\.example\.org/m);
  assert.match(transcript, /^<- 220 2\.0\.0 Ready to start TLS/m);
  assert.match(transcript, /^~> MAIL FROM:<alice@example\.org>/m);
  assert.match(transcript, /^<~ /m);
  assert.match(transcript, /^!! /m);
  assert.match(transcript, /^== /m);

  const json = await download(page, "export-json");
  assert.equal(json.name, "happy-path.json");
  const trace = JSON.parse(json.bytes.toString("utf8"));
  assert.equal(trace.schema_version, 2);
  assert.equal(trace.scenario.id, "happy-path");
  assert.equal(trace.steps.length, total);

  const svg = await download(page, "export-svg");
  assert.equal(svg.name, "happy-path.svg");
  const svgText = svg.bytes.toString("utf8");
  assert.match(svgText, /^<\?xml/);
  assert.match(svgText, /<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svgText, /<style>/);
  assert.ok(svgText.includes("EHLO client.example.org"), "arrow labels are in the SVG");
  assert.ok(svgText.includes("STARTTLS"));
  assert.doesNotMatch(svgText, /var\(--/, "no CSS variables: the styles are fixed");
  // It parses as SVG, standalone, and renders at its own size: parsed in a page of its own,
  // since its <style> is not the app's and the app's policy refuses inline styles.
  const scratch = await browser.newPage();
  const parsed = await scratch.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    return {
      error: doc.getElementsByTagName("parsererror").length,
      name: root.localName,
      width: Number(root.getAttribute("width")),
      labels: [...doc.querySelectorAll(".arrow-label")].map((t) => t.textContent),
    };
  }, svgText);
  await scratch.close();
  assert.equal(parsed.error, 0);
  assert.equal(parsed.name, "svg");
  assert.ok(parsed.width >= 600);
  assert.ok(parsed.labels.some((l) => l.startsWith("EHLO")), parsed.labels.join("|"));
  const viewer = await browser.newContext();
  const img = await viewer.newPage();
  await img.goto(`file://${svg.file}`);
  await img.setContent(`<img id="d" src="data:image/svg+xml;base64,${svg.bytes.toString("base64")}">`);
  await img.waitForFunction(() => document.getElementById("d").complete && document.getElementById("d").naturalWidth > 0);
  await screenshot(img, "export-svg");
  await viewer.close();

  const pcap = await download(page, "export-pcapng");
  assert.equal(pcap.name, "happy-path.pcapng");
  assert.deepEqual([...pcap.bytes.subarray(0, 4)], [0x0a, 0x0d, 0x0d, 0x0a], "a pcapng section header block");
  assert.ok(pcap.bytes.length > 2000);

  const keys = await download(page, "export-keylog");
  assert.equal(keys.name, "sslkeylog.txt");
  const lines = keys.bytes.toString("utf8").split("\n").filter((l) => l && !l.startsWith("#"));
  assert.ok(lines.length >= 2, "secrets are logged");
  for (const l of lines) assert.match(l, /^[A-Z][A-Z0-9_]+ [0-9a-f]{64} [0-9a-f]+$/, l);
  assert.ok(lines.some((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_0 ")), "the client's traffic secret");
  assert.ok(lines.some((l) => l.startsWith("SERVER_TRAFFIC_SECRET_0 ")), "the server's traffic secret");

  // Re-import through the file picker: the same dialogue, shown as imported.
  await byId(page, "import-file").setInputFiles({ name: "happy-path.json", mimeType: "application/json", buffer: json.bytes });
  await byId(page, "imported-banner").waitFor();
  assert.match(await byId(page, "imported-banner").textContent(), /happy-path\.json/);
  assert.deepEqual(await counter(page), [1, total]);
  assert.equal(await page.locator('[data-testid="diagram-step"]').count(), total);
  assert.equal(await byId(page, "policy-panel").count(), 0);
  await page.keyboard.press("End");
  await waitStep(page, total);

  // An invalid trace, dropped on the page: the error names the field and the position.
  const broken = JSON.parse(json.bytes.toString("utf8"));
  broken.steps[3].kind = "teleport";
  const text = JSON.stringify(broken, null, 2);
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], "broken.json", { type: "application/json" }));
    const app = document.querySelector('[data-testid="app"]');
    app.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    app.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  await byId(page, "import-error").waitFor();
  const message = await byId(page, "import-error").textContent();
  assert.match(message, /broken\.json/);
  assert.match(message, /steps\[3\]\.kind/);
  assert.match(message, /line \d+, column \d+/);
  // The imported trace stays shown; a valid drop replaces it.
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], "again.json", { type: "application/json" }));
    document.querySelector('[data-testid="app"]').dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, json.bytes.toString("utf8"));
  await page.waitForFunction(() => /again\.json/.test(document.querySelector('[data-testid="imported-banner"]')?.textContent ?? ""));
  await byId(page, "back-to-simulation").click();
  await byId(page, "imported-banner").waitFor({ state: "detached" });
  await byId(page, "policy-panel").waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** The reply code a reply-code question expects, read from a full view of the same trace. */
function expectedCode(replies) {
  const codes = replies.split(";").filter(Boolean).map((r) => r.split(" ")[0]);
  return codes.find((c) => c !== "250") ?? codes[0];
}

test("quiz: it pauses before each server reply and client decision, gives feedback with the rule, and keeps score", async () => {
  // The answers, from a page that shows the whole trace.
  const reference = await open("?scenario=happy-path");
  const replies = await reference.$$eval('[data-testid="diagram-step"]', (els) =>
    els.map((e) => ({ index: Number(e.dataset.index), replies: e.dataset.replies, kind: e.dataset.kind, actor: e.dataset.actor })),
  );
  await reference.context().close();

  const page = await open("?scenario=happy-path&quiz=1");
  const [, total] = await counter(page);
  let asked = 0;
  let right = 0;
  let wrongDone = false;
  let kinds = new Set();
  for (let guard = 0; guard < total * 2; guard++) {
    const [n] = await counter(page);
    if (n === total) break;
    await byId(page, "step-next").click();
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="quiz-question"]') ||
        document.querySelector('[data-testid="step-counter"]').textContent.startsWith(`${n + 1} / `),
      n,
    );
    const question = byId(page, "quiz-question");
    if ((await question.count()) === 0) continue;
    // Paused before the step: the counter has not moved, and the future is not drawn.
    const step = Number(await question.getAttribute("data-step"));
    assert.equal(step, n + 1);
    assert.deepEqual((await counter(page))[0], n);
    assert.equal(await page.locator('[data-testid="diagram-step"]').count(), n);
    const kind = await question.getAttribute("data-kind");
    kinds.add(kind);
    const choices = await byId(page, "quiz-choice").allTextContents();
    assert.ok(choices.length >= 3 && choices.length <= 4, choices.join("|"));
    let pick;
    if (kind === "reply-code") {
      const code = expectedCode(replies[step - 1].replies);
      pick = choices.findIndex((c) => c.replace(/^\d\s*/, "").trim() === code);
    } else {
      pick = choices.findIndex((c) => /Start the TLS handshake at once|good enough/.test(c));
    }
    assert.ok(pick >= 0, `step ${step}: ${choices.join("|")}`);
    let expectRight = true;
    if (!wrongDone) {
      pick = (pick + 1) % choices.length;
      expectRight = false;
      wrongDone = true;
    }
    await byId(page, "quiz-choice").nth(pick).click();
    await byId(page, "quiz-feedback").waitFor();
    asked += 1;
    if (expectRight) right += 1;
    assert.equal(await byId(page, "quiz-feedback").getAttribute("data-correct"), String(expectRight), `step ${step}`);
    assert.deepEqual((await counter(page))[0], step, "the answer reveals the step");
    const score = byId(page, "quiz-score");
    assert.equal(await score.getAttribute("data-right"), String(right));
    assert.equal(await score.getAttribute("data-asked"), String(asked));
    if (kind === "client-decision" || step === 14) {
      assert.ok((await byId(page, "quiz-feedback").locator('[data-testid="rule-citation"]').count()) >= 1, "feedback cites the rule");
    }
    if (asked === 2) await screenshot(page, "quiz-feedback");
  }
  assert.ok(asked >= 8, `${asked} questions`);
  assert.deepEqual([...kinds].sort(), ["client-decision", "reply-code"]);
  assert.match(await byId(page, "quiz-score").textContent(), new RegExp(`Score: ${asked - 1} / ${asked}`));
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // In embed mode too.
  const embedded = await open("?scenario=tls-required-530&embed=1&quiz=1");
  await byId(embedded, "quiz-idle").waitFor();
  for (let i = 0; i < 6 && (await byId(embedded, "quiz-question").count()) === 0; i++) {
    const [n] = await counter(embedded);
    await byId(embedded, "step-next").click();
    await embedded.waitForFunction(
      (n) => document.querySelector('[data-testid="quiz-question"]') ||
        document.querySelector('[data-testid="step-counter"]').textContent.startsWith(`${n + 1} / `),
      n,
    );
  }
  await byId(embedded, "quiz-question").waitFor();
  await byId(embedded, "quiz-choice").first().click();
  await byId(embedded, "quiz-feedback").waitFor();
  assert.equal(await byId(embedded, "quiz-score").getAttribute("data-asked"), "1");
  assert.deepEqual(embedded.errors, []);
  await embedded.context().close();
});

test("lesson: checkpoints, progress kept in localStorage across a reload, and a reset", async () => {
  const page = await open("?lesson=1");
  await byId(page, "lesson").waitFor();
  assert.equal(await byId(page, "lesson").getAttribute("data-current"), "1");
  assert.equal(await byId(page, "scenario-select").inputValue(), "happy-path");
  assert.match(await byId(page, "lesson-progress").textContent(), /^0 of 8/);
  assert.ok((await page.locator(".lesson-goals li").count()) >= 1, "the stop's goals are listed");
  // Wrong, then right.
  await byId(page, "lesson-choice").nth(0).click();
  await page.locator('[data-testid="lesson-feedback"][data-correct="false"]').waitFor();
  assert.match(await byId(page, "lesson-progress").textContent(), /^0 of 8/);
  await byId(page, "lesson-choice").nth(1).click();
  await page.locator('[data-testid="lesson-feedback"][data-correct="true"]').waitFor();
  assert.match(await byId(page, "lesson-feedback").textContent(), /CLIENT-EHLO-AGAIN/);
  assert.match(await byId(page, "lesson-progress").textContent(), /^1 of 8/);
  await byId(page, "lesson-next").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="scenario-select"]').value === "tls-required-530");
  assert.equal(await byId(page, "lesson").getAttribute("data-current"), "2");
  await screenshot(page, "lesson");

  // The progress survives a reload.
  await page.reload();
  await byId(page, "lesson").waitFor();
  assert.match(await byId(page, "lesson-progress").textContent(), /^1 of 8/);
  assert.equal(await byId(page, "lesson").getAttribute("data-current"), "2");
  assert.equal(await page.locator('[data-testid="lesson-stop"][data-stop="happy-path"]').getAttribute("data-passed"), "true");
  await page.waitForFunction(() => document.querySelector('[data-testid="scenario-select"]').value === "tls-required-530");
  const stored = await page.evaluate(() => localStorage.getItem("starttls-playground.lesson.v1"));
  assert.deepEqual(JSON.parse(stored), { current: 1, passed: ["happy-path"] });

  // Reset.
  await byId(page, "lesson-reset").click();
  await page.waitForFunction(() => /^0 of 8/.test(document.querySelector('[data-testid="lesson-progress"]').textContent));
  await page.reload();
  await byId(page, "lesson").waitFor();
  assert.match(await byId(page, "lesson-progress").textContent(), /^0 of 8/);
  assert.equal(await byId(page, "lesson").getAttribute("data-current"), "1");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("presenter mode: large type, high contrast, only the needed panels, PageUp/PageDown", async () => {
  const normal = await open("?scenario=happy-path");
  const normalSize = await normal.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  await normal.context().close();

  const page = await open("?scenario=happy-path&present=1", { viewport: { width: 1600, height: 900 } });
  assert.equal(await byId(page, "app").getAttribute("data-mode"), "present");
  const size = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(size >= normalSize * 1.3, `${size} px vs ${normalSize} px`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(0, 0, 0)");
  for (const hidden of ["policy-panel", "knowledge-client", "wire-bytes", "exports", "handshake-fact"]) {
    assert.equal(await byId(page, hidden).count(), 0, hidden);
  }
  await byId(page, "explanation").waitFor();
  await page.locator("h1").click();
  await page.keyboard.press("PageDown");
  await waitStep(page, 2);
  await page.keyboard.press("PageDown");
  await waitStep(page, 3);
  await page.keyboard.press("PageUp");
  await waitStep(page, 2);
  await page.waitForFunction(() => /step=2&present=1/.test(location.search));
  await screenshot(page, "presenter");
  // The toggle leaves presenter mode, at the same step.
  await byId(page, "present-toggle").click();
  await byId(page, "policy-panel").waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains("present")), false);
  assert.deepEqual((await counter(page))[0], 2);
  // Outside presenter mode, PageDown does not step.
  await page.locator("h1").click();
  await page.keyboard.press("PageDown");
  await page.keyboard.press("ArrowRight");
  await waitStep(page, 3);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("performance: each scenario's simulation time in the browser (median of 9 runs after a warm-up, performance.now)", async () => {
  const page = await open("?scenario=happy-path");
  await page.waitForFunction(() => typeof window.wasmBindings?.simulate_scenario_ms === "function");
  // The engine module loads after the first render; until then the hook answers NaN.
  await page.waitForFunction(() => window.wasmBindings.engine_ready() === true);
  const ids = await scenarioIds(page);
  const results = [];
  // Warm-up, not recorded: the first runs also pay for the engine's code being compiled to
  // optimised machine code, which would be charged to whichever scenario comes first.
  await page.evaluate((ids) => ids.forEach((id) => window.wasmBindings.simulate_scenario_ms(id, 2)), ids);
  for (const id of ids) {
    const ms = await page.evaluate((id) => window.wasmBindings.simulate_scenario_ms(id, 9), id);
    results.push([id, ms]);
    console.log(`# perf: ${id} ${ms.toFixed(2)} ms`);
  }
  assert.equal(results.length, ids.length);
  for (const [id, ms] of results) assert.ok(Number.isFinite(ms) && ms >= 0, `${id} ran: ${ms}`);
  assert.ok(Number.isNaN(await page.evaluate(() => window.wasmBindings.simulate_scenario_ms("no-such-scenario", 1))));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
