// The live view: a lab started with --live serves the app and streams its sessions; real
// clients (swaks, Python's smtplib) meet it on loopback, and the page draws each session as it
// happens. Every wait is on the page's own state or on the lab's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { useApp, browser, distDir, openPage, byId, counter, waitStep, screenshot, stopChild } from "./harness.mjs";

useApp();

/** A free loopback port. */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Runs a program to its end; resolves to { status, out }. Without `input` its stdin is closed
 * from the start (a quick swaks session once exited before an empty stdin was closed, and the
 * broken pipe failed the suite). With `input`, a broken pipe is noted in `out`, not thrown.
 */
function run(cmd, args, input) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (e) => resolve({ status: null, out: `${out}\n${cmd}: ${e.message}` }));
    child.on("close", (status) => resolve({ status, out }));
    if (input !== undefined) {
      child.stdin.on("error", (e) => (out += `\n(${cmd}'s stdin: ${e.code})`));
      child.stdin.end(input);
    }
  });
}

/** Reads the lab's lines up to the page's URL, printed on a line of its own. */
async function readUrl(lines) {
  for (let i = 0; i < 4; i++) {
    const line = (await lines.next()).value ?? "";
    if (/^http:\/\/\S+$/.test(line)) return line;
  }
  return undefined;
}

/** A plain `lab server` (no live view) on a free port, for a proxy or a client to reach. */
async function startUpstream() {
  const child = spawn(process.env.LAB_BIN, ["lab", "server", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const port = Number(((await lines.next()).value ?? "").match(/127\.0\.0\.1:(\d+)/)[1]);
  return { port, child };
}

/**
 * Starts `lab <mode> --live` with `args`; resolves to { smtpPort, url, livePort, child, lines }
 * once it printed the page's URL on a line of its own.
 */
async function startLive(mode, args, livePort = 0) {
  const bin = process.env.LAB_BIN;
  assert.ok(bin, "LAB_BIN names the starttls-playground binary (cargo xtask test sets it)");
  const child = spawn(bin, ["lab", mode, "--listen", "127.0.0.1:0", "--live", "--live-listen", `127.0.0.1:${livePort}`, "--dist", distDir, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = (await lines.next()).value ?? "";
  const m = first.match(/^lab (?:server|proxy) listening on 127\.0\.0\.1:(\d+) /);
  assert.ok(m, `first line: ${first}`);
  const url = await readUrl(lines);
  assert.ok(url, "the lab prints the page's URL on a line of its own");
  return { smtpPort: Number(m[1]), url, livePort: Number(new URL(url).port), child, lines };
}

const stop = (lab) => stopChild(lab.child);

const swaks = (port, extra = []) => run("swaks", ["--server", `127.0.0.1:${port}`, "--from", "alice@example.org", "--to", "bob@example.test", "--ehlo", "client.example.org", "--timeout", "20", ...extra]);

const SMTPLIB = (port) => `import smtplib, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=20)
s.ehlo('client.example.org')
s.starttls(context=ctx)
s.ehlo('client.example.org')
s.sendmail('alice@example.org', ['bob@example.test'], 'Subject: hi\\r\\n\\r\\nhello\\r\\n')
s.quit()
`;

const sessions = (page) => page.locator('[data-testid="live-session"]');

/** Waits until the list holds `n` sessions, the newest `outcome` (if given). */
async function waitSessions(page, n, outcome) {
  await page.waitForFunction(
    ([n, outcome]) => {
      const list = document.querySelectorAll('[data-testid="live-session"]');
      return list.length === n && (!outcome || list[0].dataset.outcome === outcome);
    },
    [n, outcome],
    { timeout: 30_000 },
  );
}

async function waitState(page, state) {
  await page.waitForFunction((s) => document.querySelector('[data-testid="live-status"]')?.dataset.state === s, state, { timeout: 30_000 });
}

/** Steps the shown session from its first step to its last; returns the kinds and texts seen. */
async function stepThrough(page) {
  await byId(page, "step-first").click();
  await waitStep(page, 1);
  const [, total] = await counter(page);
  const kinds = [];
  // A step's text, and the decisions it annotates at message level.
  const read = async () => {
    const notes = await page.locator('[data-testid="annotations"]').allTextContents();
    return [await byId(page, "step-text").textContent(), ...notes].join(" ");
  };
  const texts = [await read()];
  for (let n = 2; n <= total; n++) {
    await byId(page, "step-next").click();
    await waitStep(page, n);
    kinds.push(await page.locator('[data-testid="diagram-step"][data-current="true"]').getAttribute("data-kind"));
    texts.push(await read());
  }
  return { kinds, texts, total };
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

test("swaks and smtplib sessions appear live; each steps through its discard moment to its delivered message", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "starttls-live-e2e-"));
  const lab = await startLive("server", ["--traces", dir]);
  const page = await openPage(browser, lab.url, { acceptDownloads: true });
  try {
    await waitState(page, "connected");
    await byId(page, "live-empty").waitFor();
    const sw = await swaks(lab.smtpPort, ["--tls"]);
    assert.equal(sw.status, 0, sw.out);
    await waitSessions(page, 1, "delivered-tls");
    assert.match(await sessions(page).first().textContent(), /swaks .*TLS 1\.3 .*delivered under TLS/);
    const py = await run("python3", ["-"], SMTPLIB(lab.smtpPort));
    assert.equal(py.status, 0, py.out);
    await waitSessions(page, 2, "delivered-tls");
    // Follow mode shows the newest session; step back, and the toggle stays as it was.
    assert.equal(await sessions(page).first().getAttribute("aria-pressed"), "true");
    await byId(page, "step-prev").click();
    assert.equal(await byId(page, "live-follow").isChecked(), true);
    for (const which of [0, 1]) {
      await sessions(page).nth(which).click();
      await page.waitForFunction((i) => document.querySelectorAll('[data-testid="live-session"]')[i]?.getAttribute("aria-pressed") === "true", which);
      const { kinds, texts } = await stepThrough(page);
      assert.ok(kinds.includes("knowledge-discarded"), `session ${which}: the discard at the handshake is a step`);
      assert.ok(texts.some((t) => /accepts a message from <alice@example\.org>/.test(t)), `session ${which}: the delivered message is a step`);
    }
    assert.match(await byId(page, "lab-session").textContent(), /real one at 127\.0\.0\.1:\d+ \(swaks/);
    // A finished session exports as the trace the lab wrote.
    const [dl] = await Promise.all([page.waitForEvent("download"), byId(page, "export-json").click()]);
    const exported = JSON.parse(await fs.readFile(await dl.path(), "utf8"));
    const written = JSON.parse(await fs.readFile(path.join(dir, "session-00001.json"), "utf8"));
    assert.deepEqual(exported, written);
    await screenshot(page, "live-session");
    // README's picture of a live session: the top of the page.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? "../../target/screenshots", "live-view.png"), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1180 } });
    // The latency from a step's sending to its rendering, measured in the page.
    const latencies = await page.evaluate(() => window.__liveLatencies ?? []);
    assert.ok(latencies.length > 0);
    console.log(`# live latency: ${latencies.length} steps, median ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    await stop(lab);
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("the proxy stripping STARTTLS: the session appears live, in the clear, with the attacker's interception", async () => {
  const { port: upPort, child: upstream } = await startUpstream();
  const lab = await startLive("proxy", ["--upstream", `127.0.0.1:${upPort}`, "--attack", "strip-starttls"]);
  const page = await openPage(browser, lab.url);
  try {
    await waitState(page, "connected");
    assert.match(await byId(page, "live-status").textContent(), /lab proxy/);
    const sw = await swaks(lab.smtpPort, ["--tls-optional"]);
    assert.equal(sw.status, 0, sw.out);
    await waitSessions(page, 1, "delivered-clear");
    assert.ok((await page.locator('[data-testid="diagram-step"][data-actor="attacker"]').count()) > 0);
    assert.match(await byId(page, "lab-session").textContent(), /lab proxy session/);
    const { texts } = await stepThrough(page);
    assert.ok(texts.some((t) => /deletes STARTTLS|STARTTLS/.test(t)));
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    await stop(lab);
    process.kill(upstream.pid, "SIGTERM");
  }
});

test("a peer's EHLO argument containing <script> shows as text", async () => {
  const lab = await startLive("server", []);
  const page = await openPage(browser, lab.url);
  try {
    await waitState(page, "connected");
    const hostile = "<script>window.__xss=1</script>";
    await swaks(lab.smtpPort, ["--ehlo", hostile, "--quit-after", "EHLO"]);
    await waitSessions(page, 1);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="live-session"]')[0]?.dataset.outcome !== "in-progress");
    const { texts } = await stepThrough(page);
    assert.ok(texts.some((t) => t.includes(hostile)), "the EHLO argument is shown, as text");
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.evaluate(() => [...document.querySelectorAll("script")].some((s) => s.textContent.includes("__xss"))), false);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    await stop(lab);
  }
});

test("stopping and restarting the lab: the page says the connection dropped, reconnects, and shows the new sessions", async () => {
  const livePort = await freePort();
  let lab = await startLive("server", [], livePort);
  const page = await openPage(browser, lab.url);
  try {
    await waitState(page, "connected");
    assert.equal((await swaks(lab.smtpPort, ["--tls"])).status, 0);
    await waitSessions(page, 1, "delivered-tls");
    await stop(lab);
    await waitState(page, "reconnecting");
    assert.match(await byId(page, "live-status").textContent(), /dropped/);
    lab = await startLive("server", [], livePort);
    await waitState(page, "connected");
    assert.equal((await swaks(lab.smtpPort, ["--tls"])).status, 0);
    // The old session stays; the restarted lab's first session is listed above it.
    await waitSessions(page, 2, "delivered-tls");
    assert.deepEqual(await sessions(page).evaluateAll((l) => l.map((b) => b.dataset.session)), ["1", "1"]);
    // The browser logs each refused reconnection attempt; nothing else may be an error.
    assert.deepEqual(page.errors.filter((e) => !/WebSocket connection to .* failed/.test(e)), []);
  } finally {
    await page.context().close();
    await stop(lab);
  }
});

test("1,000 sessions in a burst: the page keeps the newest 50 and stays responsive", async () => {
  const lab = await startLive("server", ["--max-sessions", "1024"]);
  const page = await openPage(browser, lab.url);
  try {
    await waitState(page, "connected");
    const started = Date.now();
    const one = () =>
      new Promise((resolve) => {
        const s = net.connect(lab.smtpPort, "127.0.0.1");
        s.once("data", () => s.write("QUIT\r\n"));
        s.on("error", resolve);
        s.on("close", resolve);
        s.resume();
      });
    for (let sent = 0; sent < 1000; sent += 50) await Promise.all(Array.from({ length: 50 }, one));
    const sentMs = Date.now() - started;
    await page.waitForFunction(() => {
      const list = document.querySelectorAll('[data-testid="live-session"]');
      return list.length === 50 && list[0].dataset.session === "1000" && [...list].every((b) => b.dataset.outcome !== "in-progress");
    }, null, { timeout: 60_000 });
    const shownMs = Date.now() - started;
    // Responsive: a click on an older session shows it at once.
    const t0 = Date.now();
    await sessions(page).nth(49).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="live-session"]')[49]?.getAttribute("aria-pressed") === "true");
    const clickMs = Date.now() - t0;
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    console.log(`# burst: 1000 sessions sent in ${sentMs} ms, all listed after ${shownMs} ms; list ${await sessions(page).count()}; selecting one took ${clickMs} ms; JS heap ${(heap / 1048576).toFixed(1)} MiB`);
    assert.equal(await sessions(page).count(), 50);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    await stop(lab);
  }
});

test("with --allow-control the page's policy panel switches the lab to TLS required, and the next cleartext MAIL gets 530", async () => {
  const lab = await startLive("server", ["--allow-control"]);
  const page = await openPage(browser, lab.url);
  try {
    await waitState(page, "connected");
    await byId(page, "live-policy").waitFor();
    await byId(page, "live-policy-select").selectOption("tls-required-530");
    await byId(page, "live-policy-apply").click();
    await page.waitForFunction(() => /policy tls-required-530/.test(document.querySelector('[data-testid="live-status"]')?.textContent ?? ""));
    const sw = await swaks(lab.smtpPort, []);
    assert.notEqual(sw.status, 0, sw.out);
    assert.match(sw.out, /530 5\.7\.0/);
    await waitSessions(page, 1, "refused");
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    await stop(lab);
  }
  // Without --allow-control there is no policy panel.
  const plain = await startLive("server", []);
  const page2 = await openPage(browser, plain.url);
  try {
    await waitState(page2, "connected");
    assert.equal(await byId(page2, "live-policy").count(), 0);
  } finally {
    await page2.context().close();
    await stop(plain);
  }
});

test("lab client --live: a one-off run against a lab server is drawn live, the real peer being the server", async () => {
  const { port: upPort, child: upstream } = await startUpstream();
  const bin = process.env.LAB_BIN;
  const child = spawn(bin, ["lab", "client", "--connect", `127.0.0.1:${upPort}`, "--live", "--live-listen", "127.0.0.1:0", "--dist", distDir], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const url = await readUrl(lines);
  assert.ok(url, "the lab client prints the page's URL");
  (async () => { for await (const _ of lines); })();
  const page = await openPage(browser, url);
  try {
    await waitState(page, "connected");
    await waitSessions(page, 1, "delivered-tls");
    assert.match(await byId(page, "live-status").textContent(), /lab client/);
    assert.match(await byId(page, "lab-session").textContent(), /the server was a real one/);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    await stop({ child });
    process.kill(upstream.pid, "SIGTERM");
  }
});

/** A one-connection WebSocket server that says hello with another schema version. */
async function fakeLab(schemaVersion) {
  const srv = http.createServer();
  const open = [];
  srv.on("upgrade", (req, socket) => {
    open.push(socket);
    const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const text = Buffer.from(JSON.stringify({ hello: { schema_version: schemaVersion, lab_version: "9.9.9", instance: "x", mode: "server", scenario: "happy-path", control: false } }));
    const header = text.length < 126 ? Buffer.from([0x81, text.length]) : Buffer.from([0x81, 126, text.length >> 8, text.length & 255]);
    socket.write(Buffer.concat([header, text]));
    socket.on("error", () => {});
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: srv.address().port,
    close: () => {
      open.forEach((s) => s.destroy());
      return new Promise((r) => srv.close(r));
    },
  };
}

test("a lab of another schema version is refused with a clear message, and the page stops trying", async () => {
  const fake = await fakeLab(999);
  // The page is not the lab's, so its policy names the lab's socket (docs/publishing.md).
  const { serveDist, CSP } = await import("./harness.mjs");
  const ws = `ws://127.0.0.1:${fake.port}`;
  const site = await serveDist(undefined, { csp: CSP.replace("connect-src 'self'", `connect-src 'self' ${ws}`) });
  const page = await openPage(browser, `${site.url}?live=${encodeURIComponent(`${ws}/live`)}`);
  try {
    await waitState(page, "closed");
    assert.match(await byId(page, "live-status").textContent(), /schema version 999.*reads version \d+/);
  } finally {
    await page.context().close();
    await fake.close();
    await site.close();
  }
});
