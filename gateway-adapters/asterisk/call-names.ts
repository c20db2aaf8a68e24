// How Parley names what it creates in Asterisk, so that after a reconnect (or a restart of
// Parley) its own bridges and channels can be told from everybody else's and cleaned up.
export const PARLEY_PREFIX = 'parley-';

export const bridgeIdOf = (callId: string): string => `${PARLEY_PREFIX}${callId}`;
export const mediaChannelIdOf = (callId: string): string => `${PARLEY_PREFIX}${callId}-media`;
export const isParleyObject = (id: string): boolean => id.startsWith(PARLEY_PREFIX);
