// The demo shop's checkout journey as a k6 browser script, timed step by
// step the way touchprobe times it: from the action until the page it opens
// has loaded and the element the step waits for shows.
//
//   K6_BROWSER_EXECUTABLE_PATH=/usr/bin/chromium k6 run -e SHOP_URL=URL \
//     --console-output=FILE journey.k6.js
//
// Each journey is written as one JSON line through console.log.
import { browser } from 'k6/browser';

// The document's Navigation Timing, as bench/record's NavigationTimingJS
// reads it: milliseconds from the start of the navigation.
const navigationTiming = async () => {
  for (let i = 0; ; i++) {
    const n = performance.getEntriesByType('navigation')[0];
    if (!n) return null;
    if (n.loadEventEnd > 0 || i >= 40) {
      return { response_start_ms: n.responseStart, dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

export const options = {
  scenarios: {
    journey: {
      executor: 'shared-iterations',
      vus: 1,
      iterations: Number(__ENV.RUNS || 1),
      maxDuration: '5m',
      options: { browser: { type: 'chromium' } },
    },
  },
};

export default async function () {
  const url = __ENV.SHOP_URL;
  // k6 starts Chromium when an iteration first needs it; asking for its
  // version does that before the clock starts, so that the journey's time
  // leaves out Chromium's start-up, as the other tools' does.
  await browser.version();
  const rec = { tool: 'k6', start_unix_ms: Date.now(), journey_ms: 0, steps: [], pages: [] };
  const t0 = Date.now();
  const context = await browser.newContext();
  const page = await context.newPage();
  const step = async (name, fn) => {
    const t = Date.now();
    await fn();
    rec.steps.push({ name, ms: Date.now() - t });
  };
  // readPage keeps the page's Navigation Timing after a step has been
  // timed; the time it takes is left out of the journey's.
  let readMS = 0;
  const readPage = async (name) => {
    const t = Date.now();
    try {
      const timing = await page.evaluate(navigationTiming);
      if (timing) rec.pages.push(Object.assign({ step: name }, timing));
    } catch (e) {
      // A page that cannot be read has no timings; the journey goes on.
    }
    readMS += Date.now() - t;
  };
  const clickAndLoad = async (sel) => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator(sel).first().click()]);
  };
  const textHas = (sel, text) => page.waitForFunction(
    `(document.querySelector(${JSON.stringify(sel)}) || {}).textContent?.includes(${JSON.stringify(text)})`,
    { polling: 'raf' });
  try {
    await step('landing', () => page.goto(url, { waitUntil: 'load' }));
    await readPage('landing');
    await step('accept cookies', () => page.locator('#consent-accept').click());
    await step('product page', async () => {
      await clickAndLoad('a.product-link');
      await page.waitForSelector('#add-to-basket:not([disabled])', { state: 'visible' });
    });
    await readPage('product page');
    await step('add to basket', async () => {
      await page.locator('#add-to-basket').click();
      await textHas('#basket-count', '1');
    });
    await step('basket', async () => {
      await clickAndLoad('#basket-link');
      await page.waitForSelector('#checkout', { state: 'visible' });
    });
    await step('checkout', async () => {
      await clickAndLoad('#checkout');
      await page.waitForSelector('#name', { state: 'visible' });
    });
    await step('delivery details', async () => {
      await page.locator('#name').fill('Demo Shopper');
      await page.locator('#email').fill('shopper@nordlys.example');
      await page.locator('#postcode').fill('113 51');
      await clickAndLoad('#to-payment');
      await page.waitForSelector('#card', { state: 'visible' });
    });
    await step('payment', async () => {
      await page.locator('#card').fill('4111 1111 1111 1111');
      await page.locator('#expiry').fill('12/30');
      await page.locator('#cvc').fill('123');
      await clickAndLoad('#pay');
      await page.waitForSelector('#order-number', { state: 'visible' });
    });
    await step('confirmation', () => textHas('#order-number', 'TP-'));
    await step('chat reply', async () => {
      await page.locator('#chat-launcher').click();
      const frameEl = await page.waitForSelector('iframe#chat-frame', { state: 'visible' });
      const frame = await frameEl.contentFrame();
      await frame.waitForSelector('#message', { state: 'visible' });
      await frame.fill('#message', 'Is this in stock?');
      await frame.press('#message', 'Enter');
      await frame.waitForSelector('p.reply', { state: 'visible' });
    });
  } catch (e) {
    rec.error = String((e && e.message) || e).split('\n')[0];
  }
  await page.close();
  await context.close();
  rec.journey_ms = Date.now() - t0 - readMS;
  console.log(JSON.stringify(rec));
}
