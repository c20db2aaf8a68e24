// The product as a visitor meets it: the demo page in headless Chromium (fake microphone fed with
// an espeak-ng utterance) talking to an embedded-mode node through the Talk to Bot button.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../api/config.js';
import { startNode, type RunningNode } from '../../api/node.js';
import { writeCallerAudio, type CallerScript } from '../support/caller-audio.js';
import { launchChromium } from '../support/chromium.js';
import { freeTcpPort } from '../support/free-port.js';
import { nodeLogger, expectConversation, hangUpAndCollectDiagnostics, talkToBot, TalkButtonPage } from '../support/talk-button-page.js';

const screenshots = 'test-output/e2e';

describe('Talk to Bot in Chromium against embedded mode', () => {
  let node: RunningNode;
  let browser: BrowserContext;
  let caller: CallerScript;

  beforeAll(async () => {
    caller = writeCallerAudio('Can you hear me? I would like to book a table for two.', 3500, 6000);
    // Inline media: the test reads the demo bot's state in this process (demoBotOf).
    const config = configSchema.parse({ operator: { port: 0 }, logLevel: 'silent', api: { port: await freeTcpPort() }, media: { workers: 'inline' } });
    node = await startNode(config, nodeLogger(screenshots));
    browser = await launchChromium(caller.file);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.shutdown(0);
  });

  it('greets, hears the caller, is interrupted by barge-in, hangs up and reports diagnostics', async () => {
    const button = await TalkButtonPage.open(browser, `${node.url}/`, screenshots);
    const { callId, ...heard } = await talkToBot(button, caller);
    expectConversation(node, callId, caller, heard);

    // A second visitor from the same address meets the per-IP limit, in words.
    const second = await TalkButtonPage.open(browser, `${node.url}/`, screenshots);
    await second.click();
    await second.waitForState('error');
    expect(await second.statusText()).toContain('already in progress');
    await second.screenshot('5-error-busy');
    await second.close();

    const reported = await hangUpAndCollectDiagnostics(button, node, callId);
    expect(reported[0]!.diagnostics.selectedCandidateType).toBe('host');
    expect(reported[0]!.diagnostics.iceStates.map((state) => state.state)).toContain('connected');
    await button.close();
  }, 90_000);
});
