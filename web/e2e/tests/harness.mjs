// Shared end-to-end harness: serves the trunk-built dist/ on 127.0.0.1 and drives Debian's
// headless Chromium through playwright-core. No test sleeps for a fixed time: each waits on
// the page's own state.
import http from "node:http";
import fs from "node:fs/promises";
import path from "node:path";
import assert from "node:assert/strict";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export const distDir = path.resolve(process.env.DIST_DIR ?? "../../dist");
export const screenshotDir = path.resolve(process.env.SCREENSHOT_DIR ?? "../../target/screenshots");

/** The sub-path the suite serves dist/ under, as a documentation site would. */
export const SUB_PATH = "/some/sub/path/";

/** The strict policy a documentation site might send (issue 14); the app must run under it. */
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'";

/**
 * Serves `root` on 127.0.0.1 at a free port, under `prefix`; resolves to { url, close }.
 * The app's page is sent with the strict Content-Security-Policy above. A file with a
 * precompressed sibling (`F.br`, `F.gz`) is sent compressed when the request accepts it,
 * as a static host that serves precompressed assets does.
 */
export async function serveDist(root = distDir, { prefix = SUB_PATH, csp = CSP } = {}) {
  await fs.access(path.join(root, "index.html"));
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not under the sub-path");
      return;
    }
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname.slice(prefix.length))));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await fs.stat(file)).isDirectory()) file = path.join(file, "index.html");
      const headers = { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" };
      if (path.basename(file) === "index.html" && csp) headers["content-security-policy"] = csp;
      const accepts = req.headers["accept-encoding"] ?? "";
      let body;
      for (const [enc, ext] of [["br", ".br"], ["gzip", ".gz"]]) {
        if (body || !accepts.includes(enc)) continue;
        try {
          body = await fs.readFile(file + ext);
          headers["content-encoding"] = enc;
        } catch {}
      }
      body ??= await fs.readFile(file);
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}${prefix}`, close: () => new Promise((r) => server.close(r)) };
}

/** Launches Debian's Chromium headless, as root-safe and network-quiet as this machine needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Opens a page that records console errors and uncaught exceptions in `page.errors`, and
 * Content-Security-Policy violations in `window.__cspViolations` (Chromium also reports
 * each one as a console error, so a test asserting no errors asserts no violations).
 */
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  const page = await context.newPage();
  page.errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") page.errors.push(msg.text());
  });
  page.on("pageerror", (err) => page.errors.push(String(err)));
  await page.goto(url);
  return page;
}

/**
 * A full-page screenshot. The page skips drawing what lies far below the viewport
 * (`content-visibility: auto`), and a full-page capture does not make it draw: so each such
 * element is drawn first, for the length of the capture.
 */
export async function screenshot(page, name) {
  await fs.mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  const lazy = await page.evaluateHandle(() => {
    const els = [...document.querySelectorAll("*")].filter((el) => getComputedStyle(el).contentVisibility === "auto");
    for (const el of els) el.style.contentVisibility = "visible";
    return els;
  });
  await page.screenshot({ path: file, fullPage: true });
  await lazy.evaluate((els) => els.forEach((el) => (el.style.contentVisibility = "")));
  await lazy.dispose();
  return file;
}

/** Stops a child process by its PID (SIGTERM) and resolves once it has exited. */
export function stopChild(child) {
  process.kill(child.pid, "SIGTERM");
  return new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
}

/** The element with a `data-testid`. */
export const byId = (page, id) => page.locator(`[data-testid="${id}"]`);

/** Resolves to [current, total] once the step counter reads "N / M". */
export async function counter(page) {
  const text = await byId(page, "step-counter").textContent();
  const m = text.match(/^(\d+) \/ (\d+)$/);
  assert.ok(m, `counter text ${text}`);
  return [Number(m[1]), Number(m[2])];
}

/** Waits until the step counter shows step `n` (1-based). */
export async function waitStep(page, n) {
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="step-counter"]')?.textContent.startsWith(`${n} / `),
    n,
    { polling: "raf", timeout: 10_000 },
  );
}

/** The dist server and the browser of this test file, set by `useApp` (live bindings). */
export let server;
export let browser;

/** Serves dist/ and launches Chromium before this file's tests, and stops both after. */
export function useApp() {
  before(async () => {
    server = await serveDist();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}
