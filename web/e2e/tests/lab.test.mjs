// A lab trace opens in the browser: swaks sends a message through the lab's server on
// loopback, and the trace the lab wrote imports, steps to its end (the discard at the
// handshake, the message delivered) and exports again, unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { useApp, server, browser, openPage, byId, counter, waitStep, stopChild } from "./harness.mjs";

useApp();

/** Starts `lab server` on a free loopback port; resolves to { port, lines, child }. */
async function startLab(traces) {
  const bin = process.env.LAB_BIN;
  assert.ok(bin, "LAB_BIN names the starttls-playground binary (cargo xtask test sets it)");
  const child = spawn(bin, ["lab", "server", "--listen", "127.0.0.1:0", "--traces", traces], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = (await lines.next()).value ?? "";
  const m = first.match(/^lab server listening on 127\.0\.0\.1:(\d+) /);
  assert.ok(m, `first line: ${first}`);
  return { port: Number(m[1]), lines, child };
}

test("a lab session of swaks imports, steps to its end, and exports unchanged", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "starttls-lab-e2e-"));
  const lab = await startLab(path.join(dir, "traces"));
  let traceText;
  try {
    const swaks = spawnSync("swaks", ["--server", `127.0.0.1:${lab.port}`, "--tls", "--from", "alice@example.org", "--to", "bob@example.test", "--ehlo", "client.example.org", "--timeout", "20"], { encoding: "utf8" });
    assert.equal(swaks.status, 0, `${swaks.stdout}${swaks.stderr}`);
    // The session's line is printed once its trace is written.
    const line = (await lab.lines.next()).value ?? "";
    assert.match(line, /^session 127\.0\.0\.1:\d+ \(swaks [^)]*\): TLS 1\.3 .*delivered 1 under TLS/);
    traceText = await fs.readFile(path.join(dir, "traces", "session-00001.json"), "utf8");
  } finally {
    await stopChild(lab.child);
    await fs.rm(dir, { recursive: true, force: true });
  }
  const original = JSON.parse(traceText);
  assert.equal(original.lab.remote, "client");

  const page = await openPage(browser, `${server.url}?scenario=happy-path`, { acceptDownloads: true });
  await page.waitForFunction(() => /^1 \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? ""), null, { timeout: 30_000 });
  await byId(page, "import-file").setInputFiles({ name: "swaks-session.json", mimeType: "application/json", buffer: Buffer.from(traceText) });
  await byId(page, "imported-banner").waitFor();
  assert.match(await byId(page, "lab-session").textContent(), /real one at 127\.0\.0\.1:\d+ \(swaks/);
  // The real client's state is not shown as if it were known; the lab server's is.
  assert.match(await byId(page, "knowledge-client").textContent(), /real peer/);
  assert.equal(await byId(page, "badges-client").getAttribute("data-real"), "true");
  assert.equal(await byId(page, "badges-server").getAttribute("data-real"), null);
  const [, total] = await counter(page);
  // Step to the end; the discard at the handshake and the delivered message are on the way.
  let discard = false;
  for (let n = 2; n <= total; n++) {
    await byId(page, "step-next").click();
    await waitStep(page, n);
    if ((await page.locator('[data-testid="diagram-step"][data-current="true"]').getAttribute("data-kind")) === "knowledge-discarded") discard = true;
  }
  assert.ok(discard, "the server's discard at the handshake is a step");
  assert.ok(await byId(page, "step-next").isDisabled());
  assert.match(await byId(page, "step-text").textContent(), /221|close_notify|closed|session/);
  const [dl] = await Promise.all([page.waitForEvent("download"), byId(page, "export-json").click()]);
  const exported = JSON.parse(await fs.readFile(await dl.path(), "utf8"));
  assert.deepEqual(exported, original);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
