// The diagram's labels fit (they never cross a lane line, by the rule the legend states), a
// pipelined group is one arrow with a line per reply, and on a phone the diagram is a list
// that never scrolls sideways. Also writes the screenshots reviewed for the classroom view.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useApp, server, browser, openPage, screenshot, byId } from "./harness.mjs";

useApp();

const ready = (page) =>
  page.waitForFunction(
    () => /^1 \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? ""),
    null,
    { timeout: 30_000 },
  );

/**
 * Every label of the diagram that crosses a lane line it does not belong to: an arrow's
 * label stays between the two lanes the arrow joins; a note's between the lanes on either
 * side of its own.
 */
function crossings() {
  const svg = document.querySelector('[data-testid="diagram"]');
  const lanes = [...svg.querySelectorAll(".lanes line.lane")].map((l) => Number(l.getAttribute("x1"))).sort((a, b) => a - b);
  const bad = [];
  for (const step of svg.querySelectorAll('[data-testid="diagram-step"]')) {
    let lo;
    let hi;
    const line = step.querySelector(".arrow-line");
    if (line) {
      const [a, b] = [Number(line.getAttribute("x1")), Number(line.getAttribute("x2"))].sort((x, y) => x - y);
      lo = Math.max(...lanes.filter((x) => x <= a));
      hi = Math.min(...lanes.filter((x) => x >= b));
    } else {
      const k = lanes.indexOf(Number(step.querySelector(".note-dot").getAttribute("cx")));
      lo = lanes[k - 1] ?? 0;
      hi = lanes[k + 1] ?? svg.viewBox.baseVal.width;
    }
    for (const label of step.querySelectorAll(".arrow-label, .note-label")) {
      const box = label.getBBox();
      if (box.x < lo || box.x + box.width > hi) {
        bad.push(`${step.dataset.index}: "${label.textContent}" [${box.x.toFixed(0)}, ${(box.x + box.width).toFixed(0)}] outside [${lo}, ${hi}]`);
      }
    }
  }
  return bad;
}

test("labels never cross a lane line, in every scenario, at every detail level, and in presenter mode", async () => {
  const page = await openPage(browser, `${server.url}?scenario=happy-path&detail=all`, { viewport: { width: 1280, height: 800 } });
  await ready(page);
  assert.match(await byId(page, "diagram-legend").textContent(), /cut with …/);
  const ids = await page.$$eval('[data-testid="scenario-select"] option', (os) => os.map((o) => o.value));
  let labels = 0;
  for (const query of ["&detail=all", "", "&present=1"]) {
    for (const id of ids) {
      await page.goto(`${server.url}?scenario=${id}${query}`);
      await ready(page);
      assert.deepEqual(await page.evaluate(crossings), [], `${id}${query}`);
      labels += await page.locator('[data-testid="diagram"] .arrow-label, [data-testid="diagram"] .note-label').count();
    }
  }
  console.log(`# layout: ${labels} labels in ${ids.length} scenarios × 3 views, none crosses a lane`);
  // The full text is one hover or focus away: each step's title holds its whole sentence.
  const titles = await page.$$eval('[data-testid="diagram-step"] > title', (ts) => ts.map((t) => t.textContent));
  assert.ok(titles.length > 0 && titles.every((t) => /^\d+\. \S/.test(t)));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/**
 * Every text of the page whose type is off the scale the style sheet states (web/style.css,
 * "One type scale"): 0.8, 0.9, 1, 1.1 or 1.6rem (inside an SVG, 10 to 13px), weight 400 or
 * 700, in the page's sans or its mono family: [type, an example], each type once.
 */
function offScale() {
  const root = getComputedStyle(document.documentElement);
  const rem = parseFloat(root.fontSize);
  const sans = root.fontFamily;
  const probe = document.body.appendChild(document.createElement("code"));
  const mono = getComputedStyle(probe).fontFamily;
  probe.remove();
  const found = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    // An SVG's <title> is never drawn: it is the step's tooltip.
    if (!t.data.trim() || el.closest("script, style") || (el.tagName === "title" && el.closest("svg"))) continue;
    const cs = getComputedStyle(el);
    const px = parseFloat(cs.fontSize);
    const size = el.closest("svg")
      ? [10, 11, 12, 13].includes(px)
      : [0.8, 0.9, 1, 1.1, 1.6].some((r) => Math.abs(px - r * rem) < 0.01);
    const weight = ["400", "700"].includes(cs.fontWeight);
    const family = cs.fontFamily === sans || cs.fontFamily === mono;
    if (size && weight && family) continue;
    const key = `${cs.fontFamily === mono ? "mono" : cs.fontFamily === sans ? "sans" : cs.fontFamily} ${(px / rem).toFixed(3)}rem (${px}px) ${cs.fontWeight}`;
    if (!found.has(key)) found.set(key, `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") ?? ""}"> "${t.data.trim().slice(0, 40)}"`);
  }
  return [...found];
}

/** A page at `query` where `window.offScale` is defined. */
async function auditable(query, options = { viewport: { width: 1280, height: 800 } }) {
  const page = await openPage(browser, `${server.url}${query}`, options);
  await page.addInitScript({ content: `window.offScale = ${offScale}` });
  await page.reload();
  await ready(page);
  return page;
}

/** Steps `page` from its first step to its last, auditing each: [[type, example]], steps. */
function auditSteps(page) {
  return page.evaluate(async () => {
    const next = document.querySelector('[data-testid="step-next"]');
    const counterEl = document.querySelector('[data-testid="step-counter"]');
    const task = () => new Promise((resolve) => { const c = new MessageChannel(); c.port1.onmessage = () => resolve(); c.port2.postMessage(0); });
    const found = new Map();
    let n = 1;
    for (;;) {
      for (const [type, example] of window.offScale()) if (!found.has(type)) found.set(type, `step ${n}: ${example}`);
      if (next.disabled) break;
      const before = counterEl.textContent;
      next.click();
      while (counterEl.textContent === before) await task();
      n++;
    }
    return [[...found], n];
  });
}

test("one type scale: no text in any step of any scenario, nor in the other views, is off it", async () => {
  const page = await auditable("?scenario=happy-path&detail=all");
  const ids = await page.$$eval('[data-testid="scenario-select"] option', (os) => os.map((o) => o.value));
  // Each type off the scale, with where it was first seen.
  const off = new Map();
  const note = (where, found) => {
    for (const [type, example] of found) if (!off.has(type)) off.set(type, `${where}: ${example}`);
  };
  let views = 0;
  const audit = async (where) => {
    note(where, await page.evaluate(() => window.offScale()));
    views++;
  };
  // Every step of every scenario, at the finest level (the message level shows a subset).
  for (const id of ids) {
    await page.goto(`${server.url}?scenario=${id}&detail=all`);
    await ready(page);
    const [found, steps] = await auditSteps(page);
    note(id, found);
    views += steps;
  }
  // The other views: the message level, a quiz, a lesson, a comparison, the embed, and the
  // shortcuts, link and embed dialogs (the live view is the lab's: live.test.mjs).
  const shown = () =>
    /^\d+ \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? "") ||
    document.querySelectorAll('[data-testid="compare-pane"]').length === 2;
  for (const query of ["?scenario=command-injection-vulnerable", "?scenario=happy-path&quiz=1", "?lesson=1",
    "?compare=command-injection-compliant,command-injection-vulnerable", "?scenario=happy-path&embed=1"]) {
    await page.goto(`${server.url}${query}`);
    await page.waitForFunction(shown);
    await audit(query);
  }
  await page.goto(`${server.url}?scenario=happy-path`);
  await ready(page);
  await byId(page, "help-button").click();
  await byId(page, "shortcuts").waitFor();
  await audit("shortcuts");
  await page.keyboard.press("Escape");
  await byId(page, "shortcuts").waitFor({ state: "detached" });
  for (const [button, dialog] of [["copy-link", "link-popover"], ["embed-button", "embed-dialog"]]) {
    await byId(page, button).click();
    await byId(page, dialog).waitFor();
    await audit(dialog);
    await page.keyboard.press("Escape");
  }
  // On a phone the diagram is a list, with type of its own.
  const phone = await auditable("?scenario=command-injection-vulnerable&detail=all", { viewport: { width: 360, height: 740 } });
  await phone.locator('.diagram-panel[data-layout="list"]').waitFor();
  const [found, steps] = await auditSteps(phone);
  note("phone", found);
  views += steps;
  console.log(`# layout: the type scale holds in ${views} views of ${ids.length} scenarios`);
  assert.deepEqual([...off].map(([type, where]) => `${type}, ${where}`), []);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(phone.errors, []);
  await page.context().close();
  await phone.context().close();
});

test("a pipelined group is one arrow with one line per reply, each with its own code", async () => {
  const page = await openPage(browser, `${server.url}?scenario=tls-required-530`, { viewport: { width: 1280, height: 800 } });
  await ready(page);
  // The 530s to a pipelined MAIL, RCPT and DATA: one step with three reply codes.
  const group = page.locator('[data-testid="diagram-step"][data-replies^="530 MAIL;530"]').first();
  const replies = (await group.getAttribute("data-replies")).split(";").map((r) => r.split(" ")[0]);
  assert.ok(replies.length >= 2, `${replies}`);
  const lines = await group.locator(".arrow-label").allTextContents();
  assert.equal(lines.length, replies.length, `${lines}`);
  for (const [k, line] of lines.entries()) assert.match(line, new RegExp(`^${replies[k]} 5\\.7\\.0 `), line);
  // The step's sentence lists the same replies, codes included.
  await group.click();
  const text = await byId(page, "step-text").textContent();
  assert.equal((text.match(/530 5\.7\.0/g) ?? []).length, replies.length, text);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("phone: the diagram is a list of steps with lane badges, no sideways scroll, light and dark", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const page = await openPage(browser, `${server.url}?scenario=command-injection-vulnerable`, { viewport: { width: 360, height: 740 }, colorScheme });
    await ready(page);
    await page.locator('.diagram-panel[data-layout="list"]').waitFor();
    const items = page.getByTestId("diagram-item");
    const count = await items.count();
    assert.ok(count > 5, `${count} items`);
    // The list shows the same shown steps as the (hidden) SVG, which the export still uses.
    assert.equal(await page.locator('[data-testid="diagram-step"]').count(), count);
    assert.ok(await page.locator('[data-testid="diagram"]').isHidden());
    // An intercepted flight stops at the wire; the attacker's rewrite carries on.
    const intercepted = page.locator('[data-testid="diagram-item"][data-intercepted="true"]').first();
    assert.match(await intercepted.textContent(), /Client → Wire/);
    // A click selects the step.
    await items.nth(2).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="diagram-item"][data-current="true"]')?.dataset.index !== "0");
    assert.equal(await items.nth(2).getAttribute("data-current"), "true");
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scroll <= inner, `${colorScheme}: scrollWidth ${scroll} <= innerWidth ${inner}`);
    // No item is wider than its list.
    const overflow = await page.$$eval('[data-testid="diagram-item"]', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
    assert.equal(overflow, 0);
    await screenshot(page, `review-360x740-${colorScheme}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test("review screenshots: the main, compare and presenter views at 1280×800 and 1920×1080, light and dark", async () => {
  const views = [
    ["main", "?scenario=command-injection-vulnerable"],
    ["compare", "?compare=command-injection-compliant,command-injection-vulnerable"],
    ["presenter", "?scenario=tls-required-530&present=1"],
  ];
  for (const [width, height] of [[1280, 800], [1920, 1080]]) {
    for (const colorScheme of ["light", "dark"]) {
      for (const [name, query] of views) {
        const page = await openPage(browser, `${server.url}${query}`, { viewport: { width, height }, colorScheme });
        await page.waitForFunction(() => /^\d+ \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? "") || document.querySelectorAll('[data-testid="compare-pane"]').length === 2, null, { timeout: 30_000 });
        await screenshot(page, `review-${name}-${width}x${height}-${colorScheme}`);
        const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(scroll <= inner, `${name} ${width}: scrollWidth ${scroll} <= ${inner}`);
        assert.deepEqual(page.errors, [], `${name} ${width} ${colorScheme}`);
        await page.context().close();
      }
    }
  }
});
