// Compares the page speed of builds of the app (each a `dist/` folder), measured as the
// performance test measures it (`tests/speed.mjs`). On a 2-core machine one page's p95 varies
// by half between two loads of the same build, so one run of the suite cannot tell whether a
// change made the page faster. This tool loads fresh pages of every build in turn, round after
// round, so that the machine's slow spells fall on all builds alike. It reports each build's
// figures and, for each build after the first, the difference from the first with a bootstrap
// 95% interval over pages.
//
//   node bench/compare.mjs DIST_A [DIST_B ...] [--pages N] [--scenario ID]
//   npm run compare -- /tmp/dist-before ../../dist --pages 10
import { pathToFileURL } from "node:url";
import fs from "node:fs";
import path from "node:path";
import { serveDist, launchBrowser } from "../tests/harness.mjs";
import { measurePage, quantile } from "../tests/speed.mjs";

/**
 * The scenario stepped through unless `--scenario` names another: the catalogue's largest
 * (56 steps), which the performance test finds at run time and has stepped through in every
 * run so far.
 */
export const DEFAULT_SCENARIO = "command-injection-vulnerable";

/** Pages per build unless `--pages` says otherwise, and the fewest that it accepts. */
export const DEFAULT_PAGES = 8;
export const MIN_PAGES = 5;

/**
 * Measures `pages` fresh pages of each build in `dists` (folders), interleaved; resolves to
 * one `{ dist, pages: [{ firstRender, passes, errors }] }` per build, in the order given.
 */
export async function measureBuilds(browser, dists, { pages = DEFAULT_PAGES, scenario = DEFAULT_SCENARIO, onPage } = {}) {
  const servers = [];
  try {
    for (const dist of dists) servers.push(await serveDist(path.resolve(dist)));
    const results = dists.map((dist) => ({ dist, pages: [] }));
    for (let round = 0; round < pages; round++) {
      // Each round starts with a different build, so that none always comes first.
      for (let j = 0; j < dists.length; j++) {
        const k = (round + j) % dists.length;
        const page = await measurePage(browser, servers[k].url, scenario);
        results[k].pages.push(page);
        onPage?.(dists[k], page);
      }
    }
    return results;
  } finally {
    for (const server of servers) await server.close();
  }
}

/** A build's figures, from its pages: the performance test's figures, pooled over pages. */
export function figures(pages) {
  const all = pages.flatMap((p) => p.passes.flat());
  const later = pages.flatMap((p) => p.passes.slice(1).flat());
  const perPage = pages.map((p) => quantile(p.passes.flat(), 0.95));
  return {
    pages: pages.length,
    samples: all.length,
    firstRender: firstRenderMedian(pages),
    median: quantile(all, 0.5),
    p95: p95(pages),
    firstPassP95: firstPassP95(pages),
    laterP95: later.length ? quantile(later, 0.95) : NaN,
    perPageP95: [Math.min(...perPage), Math.max(...perPage)],
  };
}

/** The pooled step-change p95 of some pages, the figure of the performance test. */
export const p95 = (pages) => quantile(pages.flatMap((p) => p.passes.flat()), 0.95);
/** The pooled p95 of the first pass only: each step shown for the first time. */
export const firstPassP95 = (pages) => quantile(pages.flatMap((p) => p.passes[0]), 0.95);
/** The median first interactive render of some pages. */
export const firstRenderMedian = (pages) => quantile(pages.map((p) => p.firstRender), 0.5);

/** A seeded generator of numbers in (0, 1), so that the same pages give the same interval. */
function xorshift32(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * The difference `statistic(b) - statistic(a)` and its bootstrap 95% interval: pages are drawn
 * again with replacement within each build, `rounds` times.
 */
export function difference(a, b, statistic, rounds = 2000) {
  const random = xorshift32(0x5eed);
  const draw = (pages) => pages.map(() => pages[Math.floor(random() * pages.length)]);
  const diffs = [];
  for (let i = 0; i < rounds; i++) diffs.push(statistic(draw(b)) - statistic(draw(a)));
  return { value: statistic(b) - statistic(a), low: quantile(diffs, 0.025), high: quantile(diffs, 0.975) };
}

/** "faster", "slower" or "within noise", from an interval of a difference in milliseconds. */
export function verdict({ low, high }) {
  if (high < 0) return "faster";
  if (low > 0) return "slower";
  return "within noise";
}

/** The report's lines for `results` (from `measureBuilds`). */
export function report(results) {
  const lines = [];
  const ms = (v) => `${v.toFixed(2)} ms`;
  for (const { dist, pages } of results) {
    const f = figures(pages);
    lines.push(
      `${dist}: ${f.pages} pages, ${f.samples} step changes; first render median ${f.firstRender.toFixed(0)} ms; ` +
        `step change median ${ms(f.median)}, p95 ${ms(f.p95)} (first pass ${ms(f.firstPassP95)}, passes 2-3 ${ms(f.laterP95)}; ` +
        `one page's p95 ${f.perPageP95[0].toFixed(2)}-${f.perPageP95[1].toFixed(2)} ms)`,
    );
  }
  const [base, ...others] = results;
  const stats = [
    ["step change p95", p95, 2],
    ["first-pass p95", firstPassP95, 2],
    ["first render median", firstRenderMedian, 0],
  ];
  for (const other of others) {
    for (const [name, statistic, digits] of stats) {
      const d = difference(base.pages, other.pages, statistic);
      const sign = (v) => `${v >= 0 ? "+" : ""}${v.toFixed(digits)}`;
      lines.push(
        `${other.dist} against ${base.dist}: ${name} ${sign(d.value)} ms (95% interval ${sign(d.low)} to ${sign(d.high)}): ${verdict(d)}`,
      );
    }
  }
  return lines;
}

function parseArgs(argv) {
  const options = { dists: [], pages: DEFAULT_PAGES, scenario: DEFAULT_SCENARIO };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--pages" || arg === "--scenario") {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new Error(`${arg} needs a value`);
      if (arg === "--pages") {
        options.pages = Number(value);
        if (!Number.isInteger(options.pages) || options.pages < MIN_PAGES) {
          throw new Error(`--pages ${value}: give a whole number of at least ${MIN_PAGES}`);
        }
      } else options.scenario = value;
    } else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else options.dists.push(arg);
  }
  if (options.dists.length === 0) throw new Error("give at least one dist/ folder");
  for (const dist of options.dists) {
    if (!fs.existsSync(path.join(dist, "index.html"))) throw new Error(`${dist}: no index.html (build it with cargo xtask build)`);
  }
  return options;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`compare: ${e.message}\nusage: node bench/compare.mjs DIST_A [DIST_B ...] [--pages N] [--scenario ID]`);
    process.exit(2);
  }
  let browser;
  try {
    browser = await launchBrowser();
    const results = await measureBuilds(browser, options.dists, {
      ...options,
      onPage: (dist, page) =>
        process.stderr.write(`${dist}: first render ${page.firstRender.toFixed(0)} ms, p95 ${quantile(page.passes.flat(), 0.95).toFixed(2)} ms\n`),
    });
    const errors = results.flatMap((r) => r.pages.flatMap((p) => p.errors.map((e) => `${r.dist}: ${e}`)));
    for (const line of report(results)) console.log(line);
    if (errors.length) {
      console.error(`the pages logged errors:\n${errors.join("\n")}`);
      process.exitCode = 1;
    }
  } catch (e) {
    // A plain Error is one of this tool's or the page's answers; anything else is a bug here.
    console.error(`compare: ${e.name === "Error" ? e.message : e.stack}`);
    process.exitCode = 1;
  } finally {
    await browser?.close();
  }
}

// Run as a script (also through a symbolic link), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) await main();
