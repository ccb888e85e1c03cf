// The build comparison (`bench/compare.mjs`): that it measures interleaved pages as the
// performance test does, and that its verdict follows the pages it measured.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { launchBrowser, distDir } from "./harness.mjs";
import { quantile } from "./speed.mjs";
import { measureBuilds, figures, difference, verdict, report, p95 } from "../bench/compare.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("quantile: the sample of that rank", () => {
  const samples = [...Array(165).keys()].reverse();
  assert.equal(quantile(samples, 0.95), 156);
  assert.equal(quantile(samples, 0.5), 82);
  assert.equal(quantile(samples, 0), 0);
  assert.equal(quantile(samples, 1), 164);
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.throws(() => quantile([], 0.5), /no samples/);
});

test("the build comparison measures fresh pages of each build in turn", async () => {
  // One build under two names, so that the order of the pages shows.
  const a = distDir;
  const b = distDir + path.sep;
  const order = [];
  const results = await measureBuilds(browser, [a, b], { pages: 2, onPage: (dist) => order.push(dist) });
  // Each round starts with another build.
  assert.deepEqual(order, [a, b, b, a]);
  assert.deepEqual(results.map((r) => r.dist), [a, b]);
  const steps = results[0].pages[0].passes[0].length;
  assert.ok(steps > 10, `${steps} step changes a pass`);
  for (const { pages } of results) {
    assert.equal(pages.length, 2);
    for (const page of pages) {
      assert.deepEqual(page.errors, []);
      assert.ok(Number.isFinite(page.firstRender) && page.firstRender > 0);
      assert.equal(page.passes.length, 3);
      // Every pass steps from the first step to the last of the same scenario.
      for (const pass of page.passes) assert.equal(pass.length, steps);
      assert.ok(page.passes.flat().every((t) => Number.isFinite(t) && t >= 0));
    }
    assert.equal(figures(pages).samples, 2 * 3 * steps);
  }
  const lines = report(results);
  assert.equal(lines.length, 2 + 3);
  assert.match(lines[0], /: 2 pages, \d+ step changes; first render median \d+ ms; step change median/);
  assert.match(lines[2], /step change p95 [+-]\d+\.\d\d ms \(95% interval [+-]\d+\.\d\d to [+-]\d+\.\d\d\): (faster|slower|within noise)$/);
});

test("the comparison's interval and verdict follow the pages", () => {
  // Synthetic pages: one pass of 20 step changes each; pages differ by `shift`.
  const page = (scale, shift) => ({
    firstRender: 300 * scale + shift,
    passes: [Array.from({ length: 20 }, (_, i) => (1 + i * 0.5) * scale + shift)],
    errors: [],
  });
  const build = (scale, offset = 0) => [0, 1, 2, 3, 4, 5].map((i) => page(scale, offset + i * 0.4));

  const same = difference(build(1), build(1).reverse(), p95);
  assert.equal(same.value, 0);
  assert.ok(same.low < 0 && same.high > 0, JSON.stringify(same));
  assert.equal(verdict(same), "within noise");

  // Half as slow again: beyond the spread between pages.
  const worse = difference(build(1), build(1.5), p95);
  assert.ok(worse.low > 0 && worse.low < worse.value && worse.value < worse.high, JSON.stringify(worse));
  assert.equal(verdict(worse), "slower");
  assert.equal(verdict(difference(build(1.5), build(1), p95)), "faster");

  // Shifted by less than the pages differ among themselves: not a finding.
  const slight = difference(build(1), build(1, 0.3), p95);
  assert.ok(slight.value > 0 && slight.low < 0, JSON.stringify(slight));
  assert.equal(verdict(slight), "within noise");

  // The same pages give the same interval (a seeded draw).
  assert.deepEqual(difference(build(1), build(1.5), p95), worse);
});
