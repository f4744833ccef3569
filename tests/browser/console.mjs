// The web console in headless Chromium (Playwright driving the system browser): sign-in,
// every page, a key created and revoked, a customer found and erased, the settings
// form, the credit banners, a forged form token, session expiry, phone width, keyboard
// use, axe-core, and no request to another host. Screenshots of every page are written
// to SHOTS. Configuration comes from the environment (see run.py).
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// playwright-core is installed under target/ (NODE_TOOLS), not beside this file.
const { chromium } = createRequire(join(process.env.NODE_TOOLS, "node_modules") + "/")("playwright-core");

const env = process.env;
const BASE = env.BASE;
const SHOTS = env.SHOTS;
const AXE = readFileSync(env.AXE_JS, "utf8");
mkdirSync(SHOTS, { recursive: true });

const failures = [];
const passed = [];
async function check(name, body) {
  try {
    await body();
    passed.push(name);
    console.log(`  ok   ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e.message.split("\n")[0]}`);
    console.log(`  FAIL ${name}: ${e.stack}`);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}
async function api(path, key, init = {}) {
  const res = await fetch(BASE + path, {
    ...init,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...(init.headers || {}) },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const foreign = [];
async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on("request", (r) => {
    const url = r.url();
    if (![BASE, env.IDLE_BASE, "data:"].some((own) => url.startsWith(own))) foreign.push(url);
  });
  return page;
}
async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "best-practice"] }));
  const serious = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  expect(serious.length === 0,
    `${name}: ${serious.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`).join("; ")}`);
}
async function signIn(page, key) {
  await page.goto(`${BASE}/console/sign-in`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState();
}

const page = await newPage();

await check("sign-in refuses a wrong key and accepts the account's", async () => {
  await page.goto(`${BASE}/console`);
  expect(page.url().endsWith("/console/sign-in"), `landed on ${page.url()}`);
  await shot(page, "01-sign-in");
  await axe(page, "sign-in");
  await signIn(page, "sk_test_0000000000000000_wrong");
  expect(await page.getByRole("alert").textContent().then((t) => t.includes("not accepted")), "no refusal shown");
  await signIn(page, env.KEY);
  expect(page.url() === `${BASE}/console/test/`, `after sign-in: ${page.url()}`);
});

await check("overview credits equal GET /v1/account", async () => {
  const account = await api("/v1/account", env.KEY);
  const shown = (await page.locator("#credits-remaining").textContent()).trim();
  expect(shown === String(account.body.credits_remaining), `shown ${shown}, API ${account.body.credits_remaining}`);
  const starts = (await page.locator('#last-30-days [data-figure="starts"]').textContent()).trim();
  expect(Number(starts) >= 2, `30-day starts ${starts}`);
  expect(await page.locator("#starts-chart rect").count() > 0, "no bars drawn");
  // Drawn, not only present: the axis labels and today's bar are on screen.
  expect(await page.locator("#starts-chart text").first().isVisible(), "the chart's labels are hidden");
  const bar = await page.locator("#starts-chart g").last().boundingBox();
  expect(bar && bar.height > 10, `today's bar is ${bar && bar.height} px high`);
  await shot(page, "02-overview");
  await axe(page, "overview");
});

await check("keyboard: the first Tab reaches the skip link, then the navigation", async () => {
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement.textContent.trim());
  expect(first === "Skip to content", `first focus: ${first}`);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const nav = await page.evaluate(() => document.activeElement.textContent.trim());
  expect(nav === "Keys", `third focus: ${nav}`);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/console/test/keys`);
});

let created;
await check("a key created in the browser works against the API, then is revoked", async () => {
  await page.goto(`${BASE}/console/test/keys`);
  await page.getByLabel("Name").fill("made in the browser");
  await page.getByRole("button", { name: "Create key" }).click();
  created = (await page.locator("#new-key").textContent()).trim();
  expect(created.startsWith("sk_test_"), `secret ${created}`);
  expect(await page.getByRole("button", { name: "Copy" }).isVisible(), "no copy button");
  await shot(page, "03-keys-created");
  await axe(page, "keys");
  expect((await api("/v1/account", created)).status === 200, "the new key is refused by the API");
  const id = (await api("/v1/keys", env.KEY)).body.keys.find((k) => k.name === "made in the browser").id;
  await page.goto(`${BASE}/console/test/keys`);
  await page.getByRole("link", { name: "Revoke made in the browser" }).click();
  await shot(page, "04-keys-revoke-confirm");
  await page.getByRole("button", { name: "Revoke key" }).click();
  await page.waitForURL(/keys\?revoked=1$/);
  expect((await api("/v1/account", created)).status === 401, "the revoked key still works");
  expect(!(await api("/v1/keys", env.KEY)).body.keys.some((k) => k.id === id), "still listed");
});

await check("a forged form token is refused (403) and changes nothing", async () => {
  const before = (await api("/v1/keys", env.KEY)).body.keys.length;
  await page.goto(`${BASE}/console/test/keys`);
  await page.evaluate(() => { document.querySelector('form[action$="/keys"] input[name=csrf]').value = "00".repeat(32); });
  await page.getByLabel("Name").fill("forged");
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.getByRole("button", { name: "Create key" }).click(),
  ]);
  expect(response.status() === 403, `status ${response.status()}`);
  expect((await api("/v1/keys", env.KEY)).body.keys.length === before, "a key was created");
});

await check("a customer is found by external id, then by number, shown masked, exported, and erased", async () => {
  await page.goto(`${BASE}/console/test/customers`);
  await page.getByLabel("Search by").selectOption("external_id");
  await page.getByLabel("Value").fill("crm:C-77");
  await page.getByRole("button", { name: "Search" }).click();
  const byCrm = (await page.locator("#results a").first().textContent()).trim();
  expect(byCrm === env.CUSTOMER_REF, `by CRM id: ${byCrm}`);
  expect(!page.url().includes("C-77"), "the search is in the URL");
  await page.getByLabel("Search by").selectOption("number");
  await page.getByLabel("Value").fill(env.CUSTOMER_ANI);
  await page.getByRole("button", { name: "Search" }).click();
  const link = page.locator("#results a").first();
  const ref = (await link.textContent()).trim();
  expect(ref === env.CUSTOMER_REF, `found ${ref}`);
  await shot(page, "05-customers-search");
  await axe(page, "customers");
  await link.click();
  const body = await page.locator("main").textContent();
  expect(!body.includes(env.CUSTOMER_ANI.slice(2)), "the whole number is shown");
  expect(body.includes(env.CUSTOMER_ANI.slice(-4)), "the last four are not shown");
  expect(await page.locator("#variables").textContent().then((t) => t.includes("prefers_sms")), "no variable");
  expect(await page.locator("#intents").textContent().then((t) => t.includes("billing_dispute")), "no intent");
  expect(await page.locator("#calls tbody tr").count() === 2, "calls missing");
  await shot(page, "06-customer");
  await axe(page, "customer");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export (JSON)" }).click(),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  expect(exported.customer_ref === ref, "the export is another customer's");
  await page.getByRole("link", { name: "Erase this customer…" }).click();
  const erase = page.getByRole("button", { name: "Erase customer" });
  expect(await erase.isDisabled(), "erase enabled before the ref is typed");
  await page.getByLabel("Type the customer ref to confirm").fill(ref);
  expect(await erase.isEnabled(), "erase still disabled");
  await shot(page, "07-customer-erase");
  await erase.click();
  await page.waitForURL(/customers\?erased=1$/);
  expect((await api(`/v1/customers/${ref}`, env.KEY)).status === 404, "the customer is still there");
});

await check("identity: calibration shown, a bad setting refused at its field, a good one saved", async () => {
  await page.goto(`${BASE}/console/test/identity`);
  expect(await page.locator("#calibration-chart").isVisible(), "no calibration plot");
  await shot(page, "08-identity");
  await axe(page, "identity");
  await page.locator("#setting-thresholds-reuse").fill("2");
  await page.getByRole("button", { name: "Save settings" }).click();
  const error = await page.locator("#setting-thresholds-reuse-error").textContent();
  expect(error.length > 0, "no error at the field");
  expect((await api("/v1/settings/identity", env.KEY)).body.thresholds.reuse === 0.5, "a refused value was saved");
  await page.locator("#setting-thresholds-reuse").fill("0.55");
  await page.getByRole("button", { name: "Save settings" }).click();
  expect(await page.getByText("Saved.").isVisible(), "no confirmation");
  expect((await api("/v1/settings/identity", env.KEY)).body.thresholds.reuse === 0.55, "not saved");
});

await check("billing shows the plan and the ledger by day", async () => {
  await page.goto(`${BASE}/console/test/billing`);
  const plan = (await page.locator("#billing-plan").textContent()).trim();
  expect(plan === (await api("/v1/account", env.KEY)).body.plan, `plan ${plan}`);
  expect(await page.locator("#ledger tbody tr").count() >= 1, "no ledger line");
  await shot(page, "09-billing");
  await axe(page, "billing");
});

await check("the environment switch asks for a production key, then moves between both", async () => {
  await page.goto(`${BASE}/console/test/`);
  await page.getByRole("link", { name: "Switch to prod" }).click();
  expect(page.url().includes("/console/sign-in?environment=prod"), `at ${page.url()}`);
  await signIn(page, env.PROD_KEY);
  expect(page.url() === `${BASE}/console/prod/`, `at ${page.url()}`);
  await page.getByRole("link", { name: "Switch to test" }).click();
  expect(page.url() === `${BASE}/console/test/`, `back at ${page.url()}`);
});

await check("sign-out ends the session", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto(`${BASE}/console/test/keys`);
  expect(page.url().includes("/console/sign-in"), `at ${page.url()}`);
});

await check("the low-credit banner under 20 % and at 0", async () => {
  const low = await newPage();
  await signIn(low, env.LOW_KEY);
  const banner = await low.locator(".banner.low").textContent();
  expect(banner.includes("15 % remain"), `banner: ${banner}`);
  await shot(low, "10-overview-low-credits");
  const empty = await newPage();
  await signIn(empty, env.EMPTY_KEY);
  expect(await empty.locator(".banner.empty").isVisible(), "no empty banner");
});

await check("phone width: no sideways scrolling, navigation reachable", async () => {
  const phone = await newPage({ width: 375, height: 740 });
  await signIn(phone, env.KEY);
  for (const path of ["/", "/keys", "/customers", "/identity", "/retention", "/billing"]) {
    await phone.goto(`${BASE}/console/test${path}`);
    const [scroll, width] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(scroll <= width, `${path}: ${scroll} px wide in a ${width} px window`);
  }
  await phone.goto(`${BASE}/console/test/`);
  await shot(phone, "11-overview-phone");
});

await check("a session unused past the idle limit ends", async () => {
  const idle = await newPage();
  await idle.goto(`${env.IDLE_BASE}/console/sign-in`);
  await idle.getByLabel("API key").fill(env.IDLE_KEY);
  await idle.getByRole("button", { name: "Sign in" }).click();
  expect(idle.url() === `${env.IDLE_BASE}/console/test/`, `at ${idle.url()}`);
  await idle.waitForTimeout(Number(env.IDLE_SECONDS) * 1000 + 1500);
  await idle.reload();
  expect(idle.url().endsWith("ended=idle"), `at ${idle.url()}`);
  expect(await idle.getByRole("status").textContent().then((t) => t.includes("without use")), "no notice");
});

await check("no request left this server", async () => {
  expect(foreign.length === 0, foreign.join(", "));
});

await browser.close();
console.log(`browser: ${passed.length} passed, ${failures.length} failed`);
for (const f of failures) console.log(`browser: FAILED: ${f}`);
process.exit(failures.length ? 1 : 0);
