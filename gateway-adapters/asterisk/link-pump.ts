// One 20 ms timer per process hands every chan_websocket and AudioSocket link's paced bot audio
// to Asterisk (in the media worker that carries the links, or in this process when inline).
import { FRAME_MS } from '../../engine/media/frame.js';

export interface PumpedLink {
  pump(): void;
}

export class LinkPump {
  private readonly links = new Set<PumpedLink>();
  private timer: NodeJS.Timeout | undefined;

  add(link: PumpedLink): void {
    this.links.add(link);
    this.timer ??= setInterval(() => {
      for (const each of this.links) each.pump();
    }, FRAME_MS);
  }

  delete(link: PumpedLink): void {
    this.links.delete(link);
    if (this.links.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
