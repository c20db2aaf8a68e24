// Waits on a media session's own clock: resolves at the first 20 ms tick (signalled by the
// session's audio) where `done` holds for its stats.
import type { NativeSessionStats } from '../../engine/media/media-engine-binding.js';
import type { MediaSession } from '../../engine/media/media-session.js';

export function until(session: MediaSession, done: (stats: NativeSessionStats) => boolean): Promise<NativeSessionStats> {
  return new Promise((resolve) => {
    const check = (): void => {
      const stats = session.stats();
      if (!done(stats)) return;
      session.off('audio', check);
      resolve(stats);
    };
    session.on('audio', check);
  });
}
