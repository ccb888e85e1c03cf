// The app as it ships (`cargo xtask build`): served under a sub-path of a site, with a strict
// Content-Security-Policy and no inline script, and with precompressed assets. Every other
// end-to-end test runs under the same sub-path and policy (harness.mjs); this file checks
// the deployment itself, and that no policy violation fires across the main views.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { useApp, server, browser, openPage, byId, distDir, SUB_PATH, CSP } from "./harness.mjs";

useApp();

test("index.html has no inline script and only relative URLs, and is served with the strict policy", async () => {
  assert.ok(server.url.endsWith(SUB_PATH), server.url);
  const res = await fetch(server.url);
  assert.equal(res.headers.get("content-security-policy"), CSP);
  const html = await res.text();
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1], /\bsrc="\.\//, `a script loads a file: ${m[0]}`);
    assert.equal(m[2].trim(), "", `no inline code: ${m[0]}`);
  }
  assert.doesNotMatch(html, /<style\b/, "no inline style element");
  assert.doesNotMatch(html, /\sstyle="/, "no style attribute");
  for (const m of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
    assert.ok(!m[1].startsWith("/"), `relative URL: ${m[1]}`);
  }
});

test("no Content-Security-Policy violation across the main views, under the sub-path", async () => {
  const views = [
    "",
    "?scenario=command-injection-vulnerable&step=20&detail=all",
    "?compare=command-injection-compliant,command-injection-vulnerable",
    "?scenario=tls-required-530&present=1",
    "?scenario=happy-path&embed=1",
    "?scenario=happy-path&quiz=1",
    "?lesson=1",
    "?scenario=happy-path&panels=knowledge,wire,states",
  ];
  for (const query of views) {
    const page = await openPage(browser, `${server.url}${query}`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="step-counter"], [data-testid="handshake-fact"][data-state="done"]'),
      null,
      { timeout: 30_000 },
    );
    if (query.includes("scenario=happy-path&panels")) {
      // Step through to the end: every step's drawing, the knowledge and wire panels.
      await page.keyboard.press("End");
    }
    const violations = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual(violations, [], `violations in ${query || "the first screen"}`);
    assert.deepEqual(page.errors, [], `errors in ${query || "the first screen"}`);
    assert.equal(new URL(page.url()).pathname, SUB_PATH, "the app keeps its sub-path");
    await page.context().close();
  }
});

test("a link copied from the app under the sub-path opens the same view", async () => {
  const page = await openPage(browser, `${server.url}?scenario=tls-required-530&step=4`);
  await byId(page, "step-counter").waitFor();
  const shown = await byId(page, "step-counter").textContent();
  // The app writes its state into the address bar (hooks/url.rs): that is the link to copy.
  const href = await page.evaluate(() => location.href);
  assert.equal(new URL(href).pathname, SUB_PATH, href);
  assert.match(href, /scenario=tls-required-530/);
  const again = await openPage(browser, href);
  await byId(again, "step-counter").waitFor();
  assert.equal(await byId(again, "step-counter").textContent(), shown, href);
  assert.deepEqual(await again.evaluate(() => window.__cspViolations), []);
  assert.deepEqual([...page.errors, ...again.errors], []);
  await page.context().close();
  await again.context().close();
});

test("precompressed .gz and .br siblings match the files they stand for, and are served", async () => {
  const names = (await fs.readdir(distDir)).filter((n) => /\.(wasm|js|css)$/.test(n));
  assert.ok(names.some((n) => n.endsWith(".wasm")) && names.some((n) => n.startsWith("boot-")));
  for (const name of names) {
    const raw = await fs.readFile(path.join(distDir, name));
    const gz = zlib.gunzipSync(await fs.readFile(path.join(distDir, `${name}.gz`)));
    const br = zlib.brotliDecompressSync(await fs.readFile(path.join(distDir, `${name}.br`)));
    assert.ok(raw.equals(gz) && raw.equals(br), name);
  }
  const wasm = names.find((n) => n.endsWith(".wasm"));
  const res = await fetch(`${server.url}${wasm}`, { headers: { "accept-encoding": "br" } });
  assert.equal(res.headers.get("content-encoding"), "br");
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 4)], [0x00, 0x61, 0x73, 0x6d], "decoded wasm");
});
