// An acoustic echo path inside the browser page, for end-to-end echo tests: the bot's audio as the
// page receives it comes back into what the page sends, delayed and attenuated, mixed with the
// microphone, as a laptop's loudspeaker into its microphone would. A fixed fake-microphone file
// cannot be time-aligned with the bot's speech, so the mix is made in WebAudio: RTCPeerConnection
// is wrapped so that the microphone track the page adds is replaced by a MediaStreamDestination
// fed by the microphone, the remote track through a DelayNode and a GainNode, and (on demand) the
// caller's own speech from a buffer. The mix happens after capture, so the browser's own echo
// canceller (getUserMedia's echoCancellation) never sees it: what reaches the node is the echo.
import type { BrowserContext, Page } from 'playwright-core';

export interface PageEchoPath {
  delayMs: number;
  gainDb: number;
}

// Runs in the page before its own scripts (addInitScript), so the button's RTCPeerConnection is
// the wrapped one. `say` plays PCM16 samples into the send path from now on.
const installEchoPath = `
  (({ delayMs, gain }) => {
    const context = new AudioContext();
    const send = context.createMediaStreamDestination();
    const delay = context.createDelay(1);
    delay.delayTime.value = delayMs / 1000;
    const echo = context.createGain();
    echo.gain.value = gain;
    delay.connect(echo).connect(send);
    window.__echoPath = {
      remoteConnected: false,
      say(samples, rateHz) {
        const buffer = context.createBuffer(1, samples.length, rateHz);
        buffer.copyToChannel(Float32Array.from(samples, (x) => x / 32768), 0);
        const source = context.createBufferSource();
        source.buffer = buffer;
        source.connect(send);
        source.start();
      },
    };
    const NativePeer = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends NativePeer {
      constructor(...args) {
        super(...args);
        this.addEventListener('track', (event) => {
          if (event.track.kind !== 'audio') return;
          context.resume();
          context.createMediaStreamSource(new MediaStream([event.track])).connect(delay);
          window.__echoPath.remoteConnected = true;
        });
      }
      addTrack(track, ...streams) {
        if (track.kind !== 'audio') return super.addTrack(track, ...streams);
        context.resume();
        context.createMediaStreamSource(new MediaStream([track])).connect(send);
        return super.addTrack(send.stream.getAudioTracks()[0], ...streams);
      }
    };
  })
`;

interface EchoPathWindow {
  __echoPath: { remoteConnected: boolean; say(samples: number[], rateHz: number): void };
}

// Every page the context opens from now on carries the echo path.
export async function addPageEchoPath(context: BrowserContext, path: PageEchoPath): Promise<void> {
  await context.addInitScript(`${installEchoPath}(${JSON.stringify({ delayMs: path.delayMs, gain: 10 ** (path.gainDb / 20) })});`);
}

// True once the bot's audio track is routed into the echo path.
export async function echoPathConnected(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as EchoPathWindow).__echoPath.remoteConnected);
}

// The caller speaks: `samples` start playing into what the page sends now.
export async function sayIntoPage(page: Page, samples: Int16Array, rateHz: number): Promise<void> {
  return page.evaluate(({ samples, rateHz }) => (window as unknown as EchoPathWindow).__echoPath.say(samples, rateHz), { samples: Array.from(samples), rateHz });
}
