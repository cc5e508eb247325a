// Drives the dashboard in Debian's Chromium with playwright-core (run by tests/it/browser.rs):
// open the overview and see its charts, filter the findings, acknowledge one, run a query,
// and check that a user agent holding a script tag shows as text and never runs.
// Usage: node dashboard.mjs BASE_URL SCREENSHOT_DIR
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exitCode = 1; throw new Error(msg); };
const expect = (cond, msg) => { if (!cond) fail(msg); };

const browser = await chromium.launch({
  executablePath: process.env.PARAPET_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // A script from the logs would raise a dialog (or an error); either fails the test.
  page.on('dialog', async (d) => { await d.dismiss(); fail(`a dialog opened: ${d.message()}`); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // Overview: charts drawn.
  await page.goto(`${base}/`);
  expect(await page.locator('#chart-severity rect').count() > 0, 'the severity chart has bars');
  expect(await page.locator('#chart-cost polyline').count() > 0, 'the cost chart has a line');
  const open = Number(await page.locator('#open-total').textContent());
  expect(open > 0, `open findings shown (${open})`);
  await page.screenshot({ path: `${shots}/overview.png`, fullPage: true });

  // Findings: filter to critical, open the first.
  await page.goto(`${base}/findings`);
  const all = await page.locator('#findings tbody tr').count();
  await page.selectOption('select[name=severity]', 'critical');
  await Promise.all([page.waitForURL(/severity=critical/), page.click('#filters button[type=submit]')]);
  const critical = await page.locator('#findings tbody tr').count();
  expect(critical > 0 && critical <= all, `the filter keeps the critical ones (${critical} of ${all})`);
  const sevs = await page.locator('#findings tbody tr td:nth-child(2)').allTextContents();
  expect(sevs.every((s) => s.trim() === 'critical'), `only critical rows: ${sevs}`);
  await page.screenshot({ path: `${shots}/findings-critical.png`, fullPage: true });
  await page.click('#findings tbody tr:first-child td:first-child a');
  await page.waitForURL(/\/findings\/\d+$/);

  // The hostile user agent is text on the finding's page.
  const body = await page.locator('body').textContent();
  expect(body.includes("<script>alert('ua')</script>"), 'the user agent shows as text');
  expect(await page.locator('main script').count() === 0, 'no script element in the page');

  // Acknowledge it with a reason.
  await page.fill('form:has(#acknowledge) input[name=reason]', 'break-glass drill, expected');
  await Promise.all([page.waitForNavigation(), page.click('#acknowledge')]);
  // (No waitForFunction: the page's CSP forbids the evaluation it needs.)
  let status = '';
  for (let i = 0; i < 50 && status !== 'acknowledged'; i++) {
    status = (await page.locator('#status').textContent()) || '';
    if (status !== 'acknowledged') await page.waitForTimeout(100);
  }
  expect(status === 'acknowledged', `the finding is acknowledged (${status})`);
  expect((await page.locator('#history').textContent()).includes('break-glass drill'), 'the history has the reason');
  await page.screenshot({ path: `${shots}/finding-acknowledged.png`, fullPage: true });

  // Search: run a query, see rows; the agent is text there too.
  await page.goto(`${base}/search`);
  await page.fill('textarea[name=sql]', 'SELECT useragent, account_name, eventname FROM cloudtrail ORDER BY time LIMIT 3');
  await Promise.all([page.waitForURL(/sql=/), page.click('#run')]);
  const rows = Number(await page.locator('#row-count').textContent());
  expect(rows > 0, `the query returned rows (${rows})`);
  expect((await page.locator('#results').textContent()).includes('<script>'), 'the agent is text in results');
  await page.screenshot({ path: `${shots}/search.png`, fullPage: true });

  // Hunt: the example Sigma rule (console sign-ins without MFA) finds the planted one.
  await page.goto(`${base}/hunt`);
  await page.fill('input[name=days]', '100000');
  await Promise.all([page.waitForNavigation(), page.click('#hunt-run')]);
  const matches = Number(await page.locator('#match-count').textContent());
  expect(matches >= 1, `the hunt matched (${matches})`);
  await page.screenshot({ path: `${shots}/hunt.png`, fullPage: true });

  // Cost page: a chart to look at.
  await page.goto(`${base}/cost`);
  expect(await page.locator('#chart-cost-account rect').count() > 0, 'cost by account has bars');
  await page.screenshot({ path: `${shots}/cost.png`, fullPage: true });

  expect(errors.length === 0, `no page errors: ${errors}`);
  console.log(JSON.stringify({ ok: true, open, all, critical, rows }));
} finally {
  await browser.close();
}
