// Opens an HTML report in headless Chromium and checks it renders safely:
//   node tests/browser/check_report.mjs REPORT.html SCREENSHOT.png
// Fails on any console error or warning, page error or Content-Security-Policy violation, if the
// hostile names recorded by tests/cpp/report_test.cpp ran or became elements instead of text,
// or if fewer than 4 SVG charts have a size. Takes a full-page screenshot either way, prints one
// line of JSON and exits 0 (pass) or 1 (fail). CHROMIUM overrides the browser's path.
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOSTILE = ['<script>window.__pwned=1</script>', '"><img src=x onerror="window.__pwned=1">'];
const MIN_CHARTS = 4;

async function check(reportPath, screenshotPath) {
  const failures = [];
  const console_messages = [];
  const url = pathToFileURL(resolve(reportPath)).href;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        console_messages.push(`${msg.type()}: ${msg.text()}`);
      }
    });
    page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
    // Anything the page tries to load is a failure: it must be self-contained.
    page.on('request', (req) => {
      if (req.url() !== url && !req.url().startsWith('data:')) failures.push(`request: ${req.url()}`);
    });
    // CSP violations are reported as console errors and as securitypolicyviolation events; the
    // listener is installed before any of the page's content is parsed.
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`);
      });
    });
    await page.goto(url, { waitUntil: 'load' });

    const facts = await page.evaluate(() => ({
      pwned: window.__pwned,
      csp: window.__cspViolations,
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      iframes: document.querySelectorAll('iframe, object, embed').length,
      text: document.body.innerText,
      title: document.title,
      charts: [...document.querySelectorAll('svg')].map((svg) => {
        const r = svg.getBoundingClientRect();
        return { width: r.width, height: r.height, label: svg.getAttribute('aria-label') };
      }),
    }));

    for (const m of console_messages) failures.push(`console ${m}`);
    for (const v of facts.csp) failures.push(`CSP violation: ${v}`);
    if (facts.pwned !== undefined) failures.push(`window.__pwned is ${JSON.stringify(facts.pwned)}`);
    if (facts.scripts) failures.push(`${facts.scripts} <script> elements`);
    if (facts.images) failures.push(`${facts.images} <img> elements`);
    if (facts.iframes) failures.push(`${facts.iframes} embedded documents`);
    for (const h of HOSTILE) {
      if (!facts.text.includes(h)) failures.push(`the page text lacks ${JSON.stringify(h)}`);
    }
    const drawn = facts.charts.filter((c) => c.width > 0 && c.height > 0);
    if (drawn.length < MIN_CHARTS) {
      failures.push(`${drawn.length} SVG charts with a size (expected at least ${MIN_CHARTS})`);
    }

    await page.screenshot({ path: screenshotPath, fullPage: true });
    return {
      ok: failures.length === 0,
      report: reportPath,
      screenshot: screenshotPath,
      title: facts.title,
      charts: drawn.length,
      failures,
    };
  } finally {
    await browser.close();
  }
}

const [reportPath, screenshotPath] = process.argv.slice(2);
if (!reportPath || !screenshotPath) {
  console.log(JSON.stringify({ ok: false, failures: ['usage: check_report.mjs REPORT.html SCREENSHOT.png'] }));
  process.exit(1);
}
try {
  const result = await check(reportPath, screenshotPath);
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
} catch (err) {
  console.log(JSON.stringify({ ok: false, report: reportPath, failures: [`error: ${err.message}`] }));
  process.exit(1);
}
