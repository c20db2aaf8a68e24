// The Talk to Bot button in headless Chromium against a node in direct mode: the page's grant and
// signaling socket make the node drive a real Janus's SIP plugin, Janus calls the node's SIP
// endpoint, the demo bot answers, and the audio comes back through Janus to the page. Janus runs in
// a network namespace (it gathers no ICE candidates on loopback); Chromium reaches it over the veth
// pair from the host side, where its host candidate is HOST_ADDRESS.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../api/config.js';
import { startNode, type RunningNode } from '../../api/node.js';
import { writeCallerAudio, type CallerScript } from '../support/caller-audio.js';
import { launchChromium } from '../support/chromium.js';
import { freeTcpPort } from '../support/free-port.js';
import { directModeConfig, requireNamespaces, startJanusInNamespace, type JanusInNamespace } from '../support/janus-netns.js';
import { nodeLogger, expectConversation, hangUpAndCollectDiagnostics, talkToBot, TalkButtonPage } from '../support/talk-button-page.js';

const screenshots = 'test-output/e2e-direct';
describe('Talk to Bot in Chromium against direct mode through a real Janus', () => {
  let janus: JanusInNamespace | undefined;
  let node: RunningNode | undefined;
  let browser: BrowserContext | undefined;
  let caller: CallerScript;

  beforeAll(async () => {
    requireNamespaces('The direct-mode browser test (Chromium -> real Janus)');
    // A longer lead than in embedded mode: the call is set up through Janus and SIP first.
    caller = writeCallerAudio('I would like to book a table for two people tonight, please.', 4500, 6000);
    janus = await startJanusInNamespace('test-output/e2e-direct/janus');
    // Media inline: the test reads the demo bot's own account of the call, which lives with the media.
    const direct = directModeConfig(janus);
    const config = configSchema.parse({ operator: { port: 0 }, ...direct, logLevel: 'silent', api: { host: '127.0.0.1', port: await freeTcpPort() }, media: { ...(direct.media as object), workers: 'inline' } });
    node = await startNode(config, nodeLogger(screenshots));
    browser = await launchChromium(caller.file);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await node?.shutdown(0);
    await janus?.stop();
  });

  it('greets through Janus, hears the caller, is interrupted by barge-in, hangs up and reports diagnostics', async () => {
    const button = await TalkButtonPage.open(browser!, `${node!.url}/`, screenshots);
    const { callId, ...heard } = await talkToBot(button, caller, 20_000);
    expectConversation(node!, callId, caller, heard);

    const reported = await hangUpAndCollectDiagnostics(button, node!, callId);
    expect(reported[0]!.diagnostics.selectedCandidateType).toBe('host');
    expect(reported[0]!.diagnostics.iceStates.map((state) => state.state)).toContain('connected');
    // The visitor's hang-up ended every leg: the SIP call to the bot too.
    await expect.poll(() => node!.calls.size, { timeout: 10_000 }).toBe(0);
    await button.close();
  }, 60_000);
});
