// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on each HTML file in headless Chromium and fails
// on any violation. Chromium is the system's (CHROMIUM, default /usr/bin/chromium); nothing is
// downloaded.
//
//   node axe.mjs FILE.html...
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = require.resolve("axe-core/axe.min.js");
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node axe.mjs FILE.html...");
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
  ],
});
let failed = 0;
try {
  for (const file of files) {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
    await page.addScriptTag({ path: axeSource });
    const result = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        resultTypes: ["violations"],
      }),
    );
    if (result.violations.length > 0) {
      failed += 1;
      console.log(`FAIL ${file}`);
      for (const v of result.violations) {
        console.log(`  ${v.id} (${v.impact}): ${v.help}`);
        for (const node of v.nodes.slice(0, 5)) {
          console.log(`    ${node.target.join(" ")}: ${node.failureSummary.replace(/\n/g, " ")}`);
        }
      }
    } else {
      console.log(`ok   ${file} (${result.passes ? result.passes.length : 0} rules passed)`);
    }
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(`axe-core: ${files.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
