// The demo shop's checkout journey as a Playwright script, timed step by
// step the way touchprobe times it: from the action until the page it opens
// has loaded and the element the step waits for shows.
//
//   PLAYWRIGHT_CORE=<dir of playwright-core> node journey.playwright.cjs URL
//
// It uses the system's Chromium (CHROMIUM, default /usr/bin/chromium) and
// prints one JSON line per journey.
'use strict';
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const url = process.argv[2];
const runs = Number(process.argv[3] || 1);

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

async function journey(browser) {
  const rec = { tool: 'playwright', start_unix_ms: Date.now(), journey_ms: 0, steps: [], pages: [] };
  const t0 = performance.now();
  const context = await browser.newContext();
  const page = await context.newPage();
  const step = async (name, fn) => {
    const t = performance.now();
    await fn();
    rec.steps.push({ name, ms: performance.now() - t });
  };
  // readPage keeps the page's Navigation Timing after a step has been
  // timed; the time it takes is left out of the journey's.
  let readMS = 0;
  const readPage = async (name) => {
    const t = performance.now();
    try {
      const timing = await page.evaluate(navigationTiming);
      if (timing) rec.pages.push(Object.assign({ step: name }, timing));
    } catch (e) {
      // A page that cannot be read has no timings; the journey goes on.
    }
    readMS += performance.now() - t;
  };
  const clickAndLoad = async (sel) => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(sel)]);
  };
  try {
    await step('landing', () => page.goto(url, { waitUntil: 'load' }));
    await readPage('landing');
    await step('accept cookies', () => page.click('#consent-accept'));
    await step('product page', async () => {
      await clickAndLoad('a.product-link');
      await page.waitForSelector('#add-to-basket:not([disabled])', { state: 'visible' });
    });
    await readPage('product page');
    await step('add to basket', async () => {
      await page.click('#add-to-basket');
      await page.waitForFunction(() => (document.querySelector('#basket-count') || {}).textContent?.includes('1'));
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
      await page.fill('#name', 'Demo Shopper');
      await page.fill('#email', 'shopper@nordlys.example');
      await page.fill('#postcode', '113 51');
      await clickAndLoad('#to-payment');
      await page.waitForSelector('#card', { state: 'visible' });
    });
    await step('payment', async () => {
      await page.fill('#card', '4111 1111 1111 1111');
      await page.fill('#expiry', '12/30');
      await page.fill('#cvc', '123');
      await clickAndLoad('#pay');
      await page.waitForSelector('#order-number', { state: 'visible' });
    });
    await step('confirmation', () =>
      page.waitForFunction(() => (document.querySelector('#order-number') || {}).textContent?.includes('TP-')));
    await step('chat reply', async () => {
      await page.click('#chat-launcher');
      const chat = page.frameLocator('iframe#chat-frame');
      await chat.locator('#message').fill('Is this in stock?');
      await chat.locator('#message').press('Enter');
      await chat.locator('p.reply').waitFor({ state: 'visible' });
    });
  } catch (e) {
    rec.error = String(e && e.message || e).split('\n')[0];
  }
  await context.close();
  rec.journey_ms = performance.now() - t0 - readMS;
  return rec;
}

(async () => {
  if (!url) {
    console.error('usage: node journey.playwright.cjs URL [RUNS]');
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  let failed = false;
  for (let i = 0; i < runs; i++) {
    const rec = await journey(browser);
    if (rec.error) failed = true;
    console.log(JSON.stringify(rec));
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
