// The first screen: app name, description, and a real TLS 1.3 handshake computed in the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useApp, server, browser, openPage, screenshot } from "./harness.mjs";


useApp();

test("the first screen shows a real rustls TLS 1.3 handshake run in the page", async () => {
  const started = Date.now();
  const page = await openPage(browser, server.url);
  const card = page.getByTestId("handshake-fact");
  await card.and(page.locator("[data-state=done]")).waitFor({ timeout: 30_000 });

  assert.equal(await page.getByTestId("app-title").textContent(), "STARTTLS Playground");
  assert.match(await page.getByTestId("app-tagline").textContent(), /RFC 3207/);
  assert.equal(await page.getByTestId("handshake-version").textContent(), "TLS 1.3");
  assert.match(await page.getByTestId("handshake-suite").textContent(), /^TLS_AES_/);
  assert.ok(Number(await page.getByTestId("handshake-client-records").textContent()) >= 2);
  assert.ok(Number(await page.getByTestId("handshake-server-records").textContent()) >= 3);
  const ms = await page.getByTestId("handshake-ms").textContent();
  console.log(`# first screen: handshake ${ms} in Chromium; page ready ${Date.now() - started} ms after navigation`);

  await screenshot(page, "first-screen");
  assert.deepEqual(page.errors, []);
});

test("the page and its wasm are served over HTTP with the right types", async () => {
  const index = await fetch(server.url);
  assert.equal(index.status, 200);
  const html = await index.text();
  const wasm = html.match(/href="\/?([^"]+\.wasm)"/);
  assert.ok(wasm, "index.html preloads a .wasm file");
  const res = await fetch(new URL(wasm[1], server.url));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/wasm");
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 4)], [0x00, 0x61, 0x73, 0x6d], "wasm magic");
});
