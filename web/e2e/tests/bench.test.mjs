// The build comparison (`bench/compare.mjs`): that it measures interleaved pages as the
// performance test does, and that its verdict follows the pages it measured.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useApp, browser, distDir } from "./harness.mjs";
import { measureBuilds, figures, difference, verdict, report } from "../bench/compare.mjs";

useApp();

test("the build comparison measures fresh pages of each build in turn", async () => {
  const order = [];
  const results = await measureBuilds(browser, [distDir, distDir], {
    pages: 2,
    onPage: (dist) => order.push(dist),
  });
  assert.equal(results.length, 2);
  assert.equal(order.length, 4);
  for (const { pages } of results) {
    assert.equal(pages.length, 2);
    for (const page of pages) {
      assert.deepEqual(page.errors, []);
      assert.ok(page.firstRender > 0 && Number.isFinite(page.firstRender));
      assert.equal(page.passes.length, 3);
      // Every pass steps from the first step to the last of the same scenario.
      assert.ok(page.passes[0].length > 10);
      for (const pass of page.passes) assert.equal(pass.length, page.passes[0].length);
      assert.ok(page.passes.flat().every((t) => t >= 0 && Number.isFinite(t)));
    }
    const f = figures(pages);
    assert.equal(f.samples, 2 * 3 * pages[0].passes[0].length);
    assert.ok(f.median <= f.p95 && f.perPageP95[0] <= f.perPageP95[1]);
  }
  const lines = report(results);
  assert.equal(lines.length, 2 + 3);
  assert.match(lines[2], /step change p95 [+-]\d+\.\d\d ms \(95% interval .* to .*\): (faster|slower|within noise)$/);
});

test("the comparison's verdict follows the difference between the pages", () => {
  // Synthetic pages: one pass of 20 step changes each, spread like a real page's.
  const page = (scale, shift) => ({
    firstRender: 300 * scale + shift,
    passes: [Array.from({ length: 20 }, (_, i) => (1 + i * 0.5) * scale + shift)],
    errors: [],
  });
  const base = [0, 1, 2, 3, 4, 5].map((i) => page(1, i * 0.1));
  const same = [5, 4, 3, 2, 1, 0].map((i) => page(1, i * 0.1));
  const slower = [0, 1, 2, 3, 4, 5].map((i) => page(1.5, i * 0.1));
  const p95 = (pages) => figures(pages).p95;

  const none = difference(base, same, p95);
  assert.equal(none.value, 0);
  assert.ok(none.low <= 0 && none.high >= 0);
  assert.equal(verdict(none), "within noise");

  const worse = difference(base, slower, p95);
  assert.ok(worse.value > 4 && worse.low > 0, JSON.stringify(worse));
  assert.equal(verdict(worse), "slower");
  assert.equal(verdict(difference(slower, base, p95)), "faster");
  // The same pages give the same interval (a seeded draw).
  assert.deepEqual(difference(base, slower, p95), worse);
});
