import fs from 'node:fs';
import packagedChromium from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

/**
 * Launches the headless Chromium the browser tests drive: the one shipped inside the
 * `@sparticuz/chromium` npm package (so `npm ci` is all a machine needs, and nothing is downloaded
 * at run time: the package carries the compressed binary and unpacks it to the temp dir), or, when
 * that cannot start here, a system Chromium if one is installed.
 *
 * The flags keep Chromium off the network (this machine has none beyond loopback).
 *
 * @example
 * const browser = await launchTestBrowser();
 */
const OFFLINE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
/**
 * Flags for the Chromium of @sparticuz/chromium, instead of the package's own `args`: those are
 * made for Lambda and include `--single-process` (with several browsers open at once, as when the
 * browser test files run in parallel, `browser.close()` then hangs) and `--disable-web-security`
 * (which would void the same-origin and cookie rules the sign-in test relies on). These are the
 * ones it needs here: no sandbox (no user namespaces in CI containers), no zygote, and SwiftShader
 * for WebGL-free software rendering.
 */
const PACKAGED_CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--no-zygote',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--in-process-gpu',
  '--font-render-hinting=none',
];
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export async function launchTestBrowser(): Promise<Browser> {
  let packagedError: unknown;
  try {
    const executablePath = await packagedChromium.executablePath();
    return await chromium.launch({
      executablePath,
      headless: true,
      args: [...PACKAGED_CHROMIUM_FLAGS, ...OFFLINE_FLAGS],
    });
  } catch (error) {
    packagedError = error;
  }
  const system = SYSTEM_CHROMIUM.find((file) => fs.existsSync(file));
  if (!system) {
    throw new Error(
      `the Chromium of @sparticuz/chromium did not start (${String(packagedError)}) and no system Chromium was found`,
    );
  }
  return chromium.launch({ executablePath: system, headless: true, args: ['--headless', ...OFFLINE_FLAGS] });
}
