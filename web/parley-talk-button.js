// <parley-talk-button api-url="https://node.example.com"> — the Talk to Bot button. Dependency-free
// ES module. It asks for the microphone only on click, gets a short-lived grant from the node,
// signals over one WebSocket, and uses only the ICE servers the grant names.
// echo-cancellation="on" or "off" asks the node to run, or not, its own echo canceller on the
// call (for pages whose visitors' browsers don't cancel their echo); absent: the node's setting.
//   import { mount } from './parley-talk-button.js'; mount(element, { apiUrl, echoCancellation });

const STATES = {
  idle: 'Talk to Bot',
  connecting: 'Connecting…',
  talking: 'Hang up',
  ended: 'Call ended — talk again',
  error: 'Try again',
};

const STYLE = `
  :host { display: inline-block; font: 15px/1.3 system-ui, sans-serif; }
  .box { display: flex; align-items: center; gap: .6em; padding: .5em; border-radius: 2em; background: #f3f4f6; }
  button { font: inherit; border: 0; border-radius: 2em; padding: .6em 1.2em; cursor: pointer; color: #fff; background: #2563eb; min-width: 9em; }
  button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
  :host([data-state="talking"]) button { background: #dc2626; }
  :host([data-state="connecting"]) button { background: #6b7280; cursor: progress; }
  .meter { width: 5em; height: .5em; border-radius: .25em; background: #d1d5db; overflow: hidden; }
  .meter > span { display: block; height: 100%; width: 0; background: #16a34a; transition: width 60ms linear; }
  .bot { width: .8em; height: .8em; border-radius: 50%; background: #d1d5db; }
  .bot.speaking { background: #7c3aed; box-shadow: 0 0 0 4px #ddd6fe; }
  .status { min-width: 12em; color: #111827; }
  .talking-only { display: none; }
  :host([data-state="talking"]) .talking-only { display: block; }
`;

function levelOf(analyser, buffer) {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (const sample of buffer) sum += sample * sample;
  return Math.sqrt(sum / buffer.length);
}

// The node's message says why and when a call can succeed (an address's own call frees its slot
// when it ends, well before Retry-After); only a body without one falls back to Retry-After.
function describeHttpRefusal(status, body) {
  if ((status === 429 || status === 503) && body && body.message) return body.message;
  const retry = body && body.retryAfterSeconds ? ` Please try again in ${body.retryAfterSeconds} seconds at the latest.` : '';
  if (status === 429 || status === 503) return `All lines are busy.${retry}`;
  if (status === 403) return 'This website is not allowed to start calls.';
  return 'The call service is unavailable right now.';
}

// The node's `ended` reasons: `webrtc_*` when the connection itself failed (ICE, DTLS).
function endedMessage(reason) {
  if (reason === 'max_duration') return 'The call reached its time limit.';
  if (typeof reason === 'string' && reason.startsWith('webrtc_')) return 'The connection to the call was lost.';
  return 'The bot ended the call.';
}

export class ParleyTalkButton extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' }).innerHTML = `
      <style>${STYLE}</style>
      <div class="box" part="box">
        <button type="button" part="button" aria-live="polite"></button>
        <div class="meter talking-only" role="meter" aria-label="Your microphone level" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><span></span></div>
        <div class="bot talking-only" role="img" aria-label="Bot is silent"></div>
        <div class="status" role="status" aria-live="polite"></div>
      </div>`;
    this.button = this.shadowRoot.querySelector('button');
    this.meter = this.shadowRoot.querySelector('.meter');
    this.botLight = this.shadowRoot.querySelector('.bot');
    this.statusText = this.shadowRoot.querySelector('.status');
    this.button.addEventListener('click', () => (this.state === 'talking' || this.state === 'connecting' ? this.hangUp('caller_hangup') : this.start()));
    this.iceStates = [];
    this.setState('idle', '');
  }

  // The grant request's body: the call's options the page chose.
  get grantRequest() {
    const choice = this.getAttribute('echo-cancellation');
    return choice === 'on' || choice === 'off' ? { echoCancellation: choice === 'on' } : {};
  }

  get apiUrl() {
    return (this.getAttribute('api-url') || window.location.origin).replace(/\/+$/, '');
  }

  setState(state, message) {
    this.state = state;
    this.dataset.state = state;
    this.button.textContent = STATES[state];
    this.button.setAttribute('aria-label', state === 'talking' ? 'Hang up the call with the bot' : 'Start a voice call with the bot');
    this.statusText.textContent = message;
    this.dispatchEvent(new CustomEvent('parley-state', { detail: { state, message } }));
  }

  async start() {
    this.setState('connecting', 'Asking for your microphone…');
    try {
      this.microphone = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (error) {
      this.setState('error', error && error.name === 'NotAllowedError'
        ? 'Microphone access was denied. Allow it in your browser to talk to the bot.'
        : 'No microphone could be opened.');
      return;
    }
    // One retry of the whole connection when the signaling socket drops before the node said
    // anything (a blip while connecting; a new grant, as tokens work once).
    this.signalingRetries = 1;
    this.retryLog = [];
    await this.connect();
  }

  async connect() {
    try {
      this.setState('connecting', 'Connecting to the bot…');
      const response = await fetch(`${this.apiUrl}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.grantRequest) });
      const body = await response.json().catch(() => undefined);
      if (!response.ok) {
        this.cleanUp();
        this.setState('error', describeHttpRefusal(response.status, body));
        return;
      }
      await this.call(body);
    } catch (error) {
      this.cleanUp();
      this.setState('error', 'The network connection failed. Check your connection and try again.');
    }
  }

  async call(grant) {
    this.iceStates = [];
    const started = performance.now();
    const peer = new RTCPeerConnection({ iceServers: grant.iceServers });
    this.peer = peer;
    peer.addEventListener('iceconnectionstatechange', () => {
      this.iceStates.push({ state: peer.iceConnectionState, atMs: Math.round(performance.now() - started) });
      if (peer.iceConnectionState === 'failed') this.hangUp('network_failed', 'The connection to the bot failed (network).');
    });
    for (const track of this.microphone.getTracks()) peer.addTrack(track, this.microphone);
    this.remoteStream = new MediaStream();
    peer.addEventListener('track', (event) => {
      this.remoteStream.addTrack(event.track);
      this.audio = this.audio || new Audio();
      this.audio.srcObject = this.remoteStream;
      this.audio.play().catch(() => undefined);
      this.startMeters();
    });
    await peer.setLocalDescription(await peer.createOffer());
    await new Promise((resolve) => {
      if (peer.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, 3000);
      peer.addEventListener('icegatheringstatechange', () => {
        if (peer.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const wsUrl = `${this.apiUrl.replace(/^http/, 'ws')}${grant.signalingPath}?token=${encodeURIComponent(grant.token)}`;
    const socket = new WebSocket(wsUrl);
    this.socket = socket;
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'offer', sdp: peer.localDescription.sdp })));
    let heard = false;
    socket.addEventListener('message', (event) => {
      heard = true;
      this.onSignal(JSON.parse(event.data));
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      if (this.state === 'connecting' && !heard && event.code === 1006 && this.signalingRetries > 0) {
        this.signalingRetries -= 1;
        this.retryLog.push({ code: event.code, atMs: Math.round(performance.now() - started) });
        this.peer.close();
        this.peer = undefined;
        this.socket = undefined;
        this.connect();
      } else if (this.state === 'connecting') this.fail('The call service closed the connection.');
      else if (this.state === 'talking') this.hangUp('signaling_closed');
    });
    socket.addEventListener('error', () => this.fail('The network connection failed. Check your connection and try again.'));
  }

  async onSignal(message) {
    if (message.type === 'answer') {
      this.callId = message.callId;
      await this.peer.setRemoteDescription({ type: 'answer', sdp: message.sdp });
      this.setState('talking', 'Talking with the bot');
    } else if (message.type === 'ended') {
      this.hangUp(message.reason, endedMessage(message.reason));
    } else if (message.type === 'error' && this.state === 'connecting') {
      this.fail('The call could not be connected.');
    }
  }

  fail(message) {
    if (this.state !== 'connecting') return;
    this.cleanUp();
    this.setState('error', message);
  }

  startMeters() {
    if (this.audioContext) return;
    const context = new AudioContext();
    this.audioContext = context;
    const mic = context.createAnalyser();
    context.createMediaStreamSource(this.microphone).connect(mic);
    const bot = context.createAnalyser();
    context.createMediaStreamSource(this.remoteStream).connect(bot);
    this.botAnalyser = bot;
    const buffer = new Float32Array(mic.fftSize);
    const tick = () => {
      if (!this.audioContext) return;
      const micLevel = Math.min(100, Math.round(levelOf(mic, buffer) * 400));
      this.meter.firstElementChild.style.width = `${micLevel}%`;
      this.meter.setAttribute('aria-valuenow', String(micLevel));
      const speaking = levelOf(bot, buffer) > 0.01;
      this.botLight.classList.toggle('speaking', speaking);
      this.botLight.setAttribute('aria-label', speaking ? 'Bot is speaking' : 'Bot is silent');
      this.meterFrame = requestAnimationFrame(tick);
    };
    tick();
  }

  async diagnostics() {
    const result = { iceStates: this.iceStates.slice(-64), selectedCandidateType: 'unknown', signalingRetries: this.retryLog || [] };
    if (!this.peer) return result;
    const stats = await this.peer.getStats();
    let pair;
    stats.forEach((report) => {
      if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    });
    stats.forEach((report) => {
      if (!pair && report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded') pair = report;
      if (report.type === 'inbound-rtp' && report.kind === 'audio') {
        result.packetsLost = Math.max(0, report.packetsLost || 0);
        result.packetsReceived = report.packetsReceived || 0;
        if (typeof report.jitter === 'number') result.jitterMs = report.jitter * 1000;
      }
    });
    if (pair) {
      const local = stats.get(pair.localCandidateId);
      if (local && local.candidateType) result.selectedCandidateType = local.candidateType;
      if (typeof pair.currentRoundTripTime === 'number') result.roundTripTimeMs = pair.currentRoundTripTime * 1000;
    }
    return result;
  }

  async hangUp(reason, message) {
    if (this.state !== 'talking' && this.state !== 'connecting') return;
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      try {
        socket.send(JSON.stringify({ type: 'diagnostics', diagnostics: await this.diagnostics() }));
        if (reason === 'caller_hangup') socket.send(JSON.stringify({ type: 'hangup' }));
      } catch (error) {
        // The socket may close under us; the call ends either way.
      }
    }
    this.cleanUp();
    this.setState('ended', message || 'Call ended.');
  }

  cleanUp() {
    cancelAnimationFrame(this.meterFrame);
    if (this.audioContext) this.audioContext.close().catch(() => undefined);
    this.audioContext = undefined;
    if (this.socket) this.socket.close();
    this.socket = undefined;
    if (this.peer) this.peer.close();
    this.peer = undefined;
    if (this.microphone) for (const track of this.microphone.getTracks()) track.stop();
    this.microphone = undefined;
  }
}

if (!customElements.get('parley-talk-button')) customElements.define('parley-talk-button', ParleyTalkButton);

export function mount(element, options = {}) {
  const button = document.createElement('parley-talk-button');
  if (options.apiUrl) button.setAttribute('api-url', options.apiUrl);
  if (typeof options.echoCancellation === 'boolean') button.setAttribute('echo-cancellation', options.echoCancellation ? 'on' : 'off');
  element.appendChild(button);
  return button;
}
