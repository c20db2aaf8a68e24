// The double's channels and bridges, and their JSON as ARI returns it (models Channel, CallerID,
// DialplanCEP in channels.json; Bridge in bridges.json; the events in events.json).

export interface DoubleChannel {
  id: string;
  name: string;
  state: 'Down' | 'Ring' | 'Up';
  context: string;
  exten: string;
  callerNumber: string;
  createdAt: string;
  inStasis: boolean;
  bridgeId?: string;
  variables: Map<string, string>;
  // ExternalMedia channels: the format and transport they were created with.
  externalMedia?: { format: string; transport: 'udp' | 'websocket' };
  // Callers: the audio the caller says once bridged with an ExternalMedia channel.
  callerAudio?: Int16Array;
}

export interface DoubleBridge {
  id: string;
  name: string;
  type: string;
  channels: string[];
  createdAt: string;
}

// Asterisk formats timestamps as 2024-01-01T12:00:00.000+0000.
export const ariTimestamp = (date = new Date()): string => date.toISOString().replace('Z', '+0000');

export function channelJson(channel: DoubleChannel, withVars = false): Record<string, unknown> {
  return {
    id: channel.id,
    name: channel.name,
    state: channel.state,
    protocol_id: '',
    caller: { name: '', number: channel.callerNumber },
    connected: { name: '', number: '' },
    accountcode: '',
    dialplan: { context: channel.context, exten: channel.exten, priority: 1, app_name: 'Stasis', app_data: '' },
    creationtime: channel.createdAt,
    language: 'en',
    ...(withVars && channel.variables.size > 0 ? { channelvars: Object.fromEntries(channel.variables) } : {}),
  };
}

export function bridgeJson(bridge: DoubleBridge): Record<string, unknown> {
  return {
    id: bridge.id,
    technology: 'simple_bridge',
    bridge_type: bridge.type,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: bridge.name,
    channels: [...bridge.channels],
    creationtime: bridge.createdAt,
    video_mode: 'talker',
  };
}
