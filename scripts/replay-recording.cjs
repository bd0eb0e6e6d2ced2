// Replays a Chrome DevTools Recorder recording with @puppeteer/replay, the
// reference runner, in the system's Chromium, and prints where the page
// ended as one JSON line: {"url": ..., "order": ...} (the text of
// #order-number, when the page has one).
//
//   NODE_PATH=.cache/replay/node_modules node scripts/replay-recording.cjs RECORDING.json
//
// CHROMIUM overrides the browser (default /usr/bin/chromium).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createRunner, parse, PuppeteerRunnerExtension } = require('@puppeteer/replay');
const puppeteer = require('puppeteer-core');

// Names each step on stderr as it starts, so that a failure says where.
class NamingExtension extends PuppeteerRunnerExtension {
  async beforeEachStep(step, flow) {
    const n = flow.steps.indexOf(step) + 1;
    process.stderr.write(`step ${n} (${step.type}): ${JSON.stringify(step.selectors || step.url || step.key || step.expression || '')}\n`);
    await super.beforeEachStep(step, flow);
  }
}

async function main(file) {
  const flow = parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  const args = [];
  if (process.getuid && process.getuid() === 0) {
    args.push('--no-sandbox');
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-profile-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    userDataDir: profile,
  });
  try {
    const page = await browser.newPage();
    const runner = await createRunner(flow, new NamingExtension(browser, page, { timeout: 20000 }));
    const finished = await runner.run();
    if (!finished) {
      throw new Error('the replay was aborted');
    }
    const order = await page.evaluate(() => {
      const el = document.querySelector('#order-number');
      return el ? el.innerText.trim() : '';
    });
    process.stdout.write(JSON.stringify({ url: page.url(), order }) + '\n');
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv.length !== 3) {
  process.stderr.write('usage: node replay-recording.cjs RECORDING.json\n');
  process.exit(2);
}
main(process.argv[2]).catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
