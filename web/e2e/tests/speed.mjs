// The page's speed, measured the one way that the performance test and the build comparison
// (`bench/compare.mjs`) share: the first interactive render of a fresh page, and the time of
// each step change through a scenario. Nothing here sleeps for a fixed time.
import { openPage } from "./harness.mjs";

/** The sample at quantile `q` (0 to 1) of `samples`, by rank: the p95 of 165 is the 157th. */
export function quantile(samples, q) {
  if (samples.length === 0) throw new Error("a quantile of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/** Milliseconds from navigation to the page's `app-interactive` mark, once it is set. */
export async function firstRender(page) {
  await page.waitForFunction(() => performance.getEntriesByName("app-interactive").length > 0);
  return page.evaluate(() => performance.getEntriesByName("app-interactive")[0].startTime);
}

/** The ids of the scenario picker's options, in its order. */
export async function scenarioIds(page) {
  return page.$$eval('[data-testid="scenario-select"] option', (os) => os.map((o) => o.value));
}

/** Selects scenario `id` in the picker and waits until its first step shows. */
export async function selectScenario(page, id) {
  const ids = await scenarioIds(page);
  if (!ids.includes(id)) throw new Error(`no scenario ${id} in the picker; it has ${ids.join(", ")}`);
  await page.locator('[data-testid="scenario-select"]').selectOption(id);
  await page.waitForFunction(
    () => /^1 \/ \d+$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent ?? ""),
  );
}

/**
 * `passes` passes from the first step to the last with the Next button; per pass, each step
 * change's milliseconds, from the click until the counter shows the next step and style and
 * layout are done. Between samples the page gets whole tasks, so that its renders and frames
 * run as they would for a user.
 */
export async function stepChanges(page, passes = 3) {
  return page.evaluate(async (passes) => {
    const first = document.querySelector('[data-testid="step-first"]');
    const next = document.querySelector('[data-testid="step-next"]');
    const counterEl = document.querySelector('[data-testid="step-counter"]');
    const task = () =>
      new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(0);
      });
    const out = [];
    for (let pass = 0; pass < passes; pass++) {
      first.click();
      while (!/^1 \//.test(counterEl.textContent)) await task();
      out.push([]);
      while (!next.disabled) {
        const before = counterEl.textContent;
        const t0 = performance.now();
        next.click();
        while (counterEl.textContent === before) await Promise.resolve().then(task);
        void document.body.offsetHeight; // include style and layout
        out.at(-1).push(performance.now() - t0);
      }
    }
    return out;
  }, passes);
}

/**
 * One fresh page of the build that `url` serves (in a browser context of its own): its first
 * render of `?scenario=happy-path&detail=all`, then three passes of step changes through
 * scenario `scenario`. Resolves to `{ firstRender, passes, errors }`.
 */
export async function measurePage(browser, url, scenario) {
  const page = await openPage(browser, `${url}?scenario=happy-path&detail=all`);
  try {
    const render = await firstRender(page);
    await page.waitForFunction(() => !document.querySelector('[data-testid="engine-loading"]'));
    await selectScenario(page, scenario);
    const passes = await stepChanges(page);
    return { firstRender: render, passes, errors: page.errors };
  } finally {
    await page.context().close();
  }
}
