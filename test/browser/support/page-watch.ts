import type { Page } from 'playwright-core';

export interface PageWatch {
  /** Console errors, uncaught exceptions, failed requests and HTTP errors seen so far (minus expected ones). */
  problems: string[];
  /** Lets one HTTP error through (a request the test makes fail on purpose), with its console echo. */
  expectError: (status: number, method: string, pathPattern: RegExp) => void;
}

/** Records everything that would show a broken page; a test ends by asserting there was nothing. */
export function watchPage(page: Page): PageWatch {
  const problems: string[] = [];
  const expected: Array<{ status: number; method: string; path: RegExp }> = [];
  let echoes = 0;
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium logs every 4xx fetch as "Failed to load resource"; expected ones are allowed once each.
    if (/Failed to load resource: the server responded with a status of \d+/.test(message.text()) && echoes > 0) {
      echoes--;
      return;
    }
    problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Navigating away aborts in-flight polls; that is not a failure of the page.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const request = response.request();
    const path = new URL(response.url()).pathname;
    const index = expected.findIndex((entry) => entry.status === response.status() && entry.method === request.method() && entry.path.test(path));
    if (index >= 0) {
      expected.splice(index, 1);
      echoes++;
      return;
    }
    problems.push(`HTTP ${response.status()}: ${request.method()} ${response.url()}`);
  });
  return {
    problems,
    expectError: (status, method, path) => expected.push({ status, method, path }),
  };
}
